import { loadEnv } from '../../config/env.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub } from '../../runtime/hub.js';
import { closeOnSignal } from './serve.js';

export default async function worker(_argv: string[]): Promise<number> {
  const env = loadEnv();
  const hub = await startHub(env, createLogger(env.logLevel), { api: false, workers: true });
  await closeOnSignal(hub);
  return 0;
}
