import { loadEnv } from '../../config/env.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub } from '../../runtime/hub.js';
import { closeOnSignal, sayStep } from './serve.js';

export default async function worker(): Promise<number> {
  const env = loadEnv();
  const hub = await startHub(env, createLogger(env.logLevel), { api: false, workers: true, onStep: sayStep(env) });
  await closeOnSignal(hub);
  return 0;
}
