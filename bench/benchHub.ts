import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { rows } from '../src/db/client.js';
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
export async function startBenchHub(opts: StartOptions, env: Record<string, string> = {}): Promise<{ hub: Hub; databaseUrl: string; prefix: string; close(): Promise<void> }> {
  const db = await createTestDatabase();
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const environment = loadEnv({ ...process.env, DATABASE_URL: db.url, REDIS_URL: BENCH_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', PORT: '0', ...env });
  const hub = await startHub(environment, createLogger('warn'), opts);
  return {
    hub, databaseUrl: db.url, prefix,
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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 where unreadable. */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of the Postgres backends serving this hub's database: the server's share of a run, which
 * the hub's own process.cpuUsage does not show. Read before and after a phase; the pool keeps them open.
 */
export async function postgresCpuSeconds(hub: Hub): Promise<number> {
  const pids = await rows<{ pid: number }>(hub.ctx.db, sql`select pid from pg_stat_activity where datname = current_database()`);
  return pids.reduce((sum, p) => sum + processCpuSeconds(p.pid), 0);
}

/**
 * Peak resident memory of this process so far, in MB (the kernel's high-water mark): a benchmark's
 * hub runs in its own process, so this is the hub's peak with the benchmark's driver on top.
 */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
