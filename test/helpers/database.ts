import postgres from 'postgres';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { connectPostgres, MIGRATIONS_DIR, openDatabase, type Database } from '../../src/db/client.js';

/** Tests run against the machine's real Postgres; each test file gets a database of its own. */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function migrationsHash(): string {
  const h = createHash('sha1');
  for (const dir of [MIGRATIONS_DIR, path.join(MIGRATIONS_DIR, 'meta')]) {
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.sql') || f.endsWith('.json')) h.update(f).update(readFileSync(path.join(dir, f)));
    }
  }
  return h.digest('hex').slice(0, 12);
}

/** A migrated template, made once per migrations version; copying it is much faster than migrating. */
async function ensureTemplate(admin: postgres.Sql): Promise<string> {
  const name = `tiyuh_tpl_${migrationsHash()}`;
  const [row] = await admin`select hashtext(${name}) as lock`;
  const lock = row!.lock as number;
  await admin`select pg_advisory_lock(${lock})`;
  try {
    const exists = await admin`select 1 from pg_database where datname = ${name}`;
    if (exists.length === 0) {
      await admin.unsafe(`create database "${name}_build"`).catch(async () => {
        await admin.unsafe(`drop database if exists "${name}_build" with (force)`);
        await admin.unsafe(`create database "${name}_build"`);
      });
      const db = await openDatabase(withDb(TEST_PG_URL, `${name}_build`), '', { max: 1 });
      await db.migrate();
      await db.close();
      await admin.unsafe(`alter database "${name}_build" rename to "${name}"`);
    }
  } finally {
    await admin`select pg_advisory_unlock(${lock})`;
  }
  return name;
}

export interface TestDatabase {
  url: string;
  database: Database;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = connectPostgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
  const template = await ensureTemplate(admin);
  const name = `tiyuh_t_${randomBytes(6).toString('hex')}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(`create database "${name}" template "${template}"`);
      break;
    } catch (err) {
      // Two files copying the template at the same instant: one waits and tries again.
      if (attempt > 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const url = withDb(TEST_PG_URL, name);
  const database = await openDatabase(url, '', { max: 5 });
  return {
    url,
    database,
    async drop() {
      await database.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
