import { loadEnv } from '../../config/env.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub, type Hub, type StartOptions } from '../../runtime/hub.js';
import { installCrashGuards, isSupervised, supervise } from '../../runtime/supervisor.js';

/** Stops the hub cleanly on SIGINT/SIGTERM: jobs in flight finish or return to the queue. */
export function closeOnSignal(hub: Hub): Promise<void> {
  return new Promise((resolve) => {
    // Ctrl-C reaches the hub process twice (from the terminal and from its supervisor): the second must
    // not kill it half-way through closing.
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await hub.close();
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * `serve` and `worker`: a supervisor process that keeps one hub process running (TIYUH_SUPERVISOR=off
 * runs the hub in this process, for a container runtime or systemd that restarts it themselves).
 */
export async function runSupervised(opts: Pick<StartOptions, 'api' | 'workers'>, announce: (hub: Hub) => void): Promise<number> {
  const env = loadEnv();
  const log = createLogger(env.logLevel);
  if (!isSupervised() && process.env.TIYUH_SUPERVISOR !== 'off') return supervise(log);
  let hub: Hub | null = null;
  installCrashGuards(log, async () => { await hub?.close(); }, () => { hub?.redis.child?.kill('SIGTERM'); });
  hub = await startHub(env, log, opts);
  announce(hub);
  await closeOnSignal(hub);
  return 0;
}

export default async function serve(_argv: string[]): Promise<number> {
  return runSupervised({ api: true, workers: true }, (hub) => console.error(`Tiyuh Hub listening on ${hub.url} (pid ${process.pid})`));
}
