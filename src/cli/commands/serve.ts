import { loadEnv } from '../../config/env.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub, type Hub } from '../../runtime/hub.js';

/** Stops the hub cleanly on SIGINT/SIGTERM: jobs in flight finish or return to the queue. */
export function closeOnSignal(hub: Hub): Promise<void> {
  return new Promise((resolve) => {
    const stop = async () => { await hub.close(); resolve(); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export default async function serve(_argv: string[]): Promise<number> {
  const env = loadEnv();
  const hub = await startHub(env, createLogger(env.logLevel), { api: true, workers: true });
  console.error(`Tiyuh Hub listening on ${hub.url}`);
  await closeOnSignal(hub);
  return 0;
}
