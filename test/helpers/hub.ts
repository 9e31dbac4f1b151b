import type { Test } from 'tap';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/runtime/logger.js';
import { startHub, type Hub, type StartOptions } from '../../src/runtime/hub.js';
import { createKey, type Role } from '../../src/api/keys.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every log line the hub wrote, as text, so tests can look for personal data in it. */
export class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void) { this.lines.push(chunk.toString()); done(); }
  get text() { return this.lines.join(''); }
}

export interface TestHub {
  hub: Hub;
  db: TestDatabase;
  logs: LogCapture;
  prefix: string;
  url: string;
  key(role: Role, scope?: { villageCode?: string; kecamatanCode?: string; agencyCode?: string }): Promise<string>;
  /** Starts the same hub again (same database and Redis prefix), e.g. after killing its workers. */
  restart(opts?: Partial<StartOptions>): Promise<Hub>;
  stop(): Promise<void>;
}

/** A hub on the real Postgres and Redis, isolated by its own database and Redis key prefix. */
export async function startTestHub(t: Test, opts: Partial<StartOptions> = {}, env: Record<string, string> = {}): Promise<TestHub> {
  const db = await createTestDatabase();
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const logs = new LogCapture();
  const environment = loadEnv({
    DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', PORT: '0', ...env,
  });
  const options: StartOptions = { api: true, workers: true, ...opts };
  const start = (o: Partial<StartOptions> = {}) => startHub(environment, createLogger(environment.logLevel, logs), { ...options, ...o });
  const th: TestHub = {
    hub: await start(),
    db, logs, prefix, url: '',
    key: async (role, scope = {}) => (await createKey(th.hub.database.db, { role, ...scope })).secret,
    async restart(o = {}) {
      th.hub = await start(o);
      th.url = th.hub.url ?? th.url;
      return th.hub;
    },
    async stop() {
      await th.hub.close();
      const redis = new Redis(TEST_REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
      await db.drop();
    },
  };
  th.url = th.hub.url ?? '';
  t.teardown(() => th.stop());
  return th;
}

/** Polls until `check` returns a truthy value or the time runs out (then fails with the last value). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000, everyMs = 50): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > until) throw new Error(`condition not met in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
