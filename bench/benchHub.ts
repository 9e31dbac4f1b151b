import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadEnv } from '../src/config/env.js';
import { createLogger } from '../src/runtime/logger.js';
import { startHub, type Hub, type StartOptions } from '../src/runtime/hub.js';
import { createTestDatabase } from '../test/helpers/database.js';

export const BENCH_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A hub for a benchmark: a fresh Postgres database and its own Redis key prefix, so a run neither
 * reads nor leaves anything behind. `close` stops the hub and removes both.
 */
export async function startBenchHub(opts: StartOptions, env: Record<string, string> = {}): Promise<{ hub: Hub; close(): Promise<void> }> {
  const db = await createTestDatabase();
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const environment = loadEnv({ ...process.env, DATABASE_URL: db.url, REDIS_URL: BENCH_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', PORT: '0', ...env });
  const hub = await startHub(environment, createLogger('warn'), opts);
  return {
    hub,
    async close() {
      await hub.close();
      const redis = new Redis(BENCH_REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
      await db.drop();
    },
  };
}
