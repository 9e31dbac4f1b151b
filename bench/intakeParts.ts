/**
 * Where Postgres spends its time in an HTTP batch push: the statements storeRegistrations sends for
 * batches of `--batch` registrations (the bodies bench:push sends, ~23% of records invalid), run back to
 * back on one connection against a fresh migrated database per variant. A variant removes one part
 * (an index, the trigger, ...) before the run, so its difference to `base` is that part's cost.
 * Reports, per variant, the backend's CPU µs per record and per statement (/proc/<pid>/schedstat, ns
 * resolution; the hub's own serialization is not in it), wall µs per record, and WAL bytes per record. Variants that change durability are information only (never for the hub).
 *   npx tsx bench/intakeParts.ts --batches 40 [--variants base,no-trigger,...]
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import { openDatabase, rows, type Tx } from '../src/db/client.js';
import { loadConfig } from '../src/config/load.js';
import { loadEnv } from '../src/config/env.js';
import { checkRegistrations } from '../src/pipeline/validate/registration.js';
import { storeRegistrations } from '../src/pipeline/intake/registrations.js';
import { keepRawJson, storableValue } from '../src/pipeline/intake/storable.js';
import { generatePopulation } from '../src/synth/population.js';
import { createTestDatabase } from '../test/helpers/database.js';

/** CPU time of a process in µs, from the scheduler's own accounting (ns resolution, unlike /proc/<pid>/stat's ticks). */
function cpuUs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
}

const VARIANTS: Record<string, string[]> = {
  base: [],
  'no-trigger': ['drop trigger stats_registrations_ins on registrations'],
  'no-inflight-idx': ['drop index registrations_inflight_idx'],
  'no-citizen-idx': ['drop index registrations_citizen_idx'],
  'no-village-updated-idx': ['drop index registrations_village_updated_idx'],
  'no-created-idx': ['drop index registrations_created_idx'],
  'no-reg-secondary-idx': ['drop index registrations_inflight_idx', 'drop index registrations_citizen_idx',
    'drop index registrations_village_updated_idx', 'drop index registrations_created_idx'],
  // Btree deduplication off where every row of a statement has the same key (created_at, status and updated_at are now()).
  'reg-idx-nodedup': ['alter index registrations_inflight_idx set (deduplicate_items = off)', 'alter index registrations_created_idx set (deduplicate_items = off)'],
  // The inbox_id reference: a foreign key before migration 0022, statement triggers since.
  'no-reg-inbox-ref': ['alter table registrations drop constraint if exists registrations_inbox_id_inbox_id_fk', 'drop trigger if exists registrations_inbox_ref_ins on registrations'],
  'no-q-inbox-ref': ['alter table quarantine drop constraint if exists quarantine_inbox_id_inbox_id_fk', 'drop trigger if exists quarantine_inbox_ref_ins on quarantine'],
  'no-q-payload-idx': ['drop index quarantine_open_payload_idx'],
  'no-q-village-idx': ['drop index quarantine_village_idx'],
  // The inbox's 400 KB payload: lz4 (migration 0021) or pglz as before, and stored uncompressed.
  'inbox-pglz': ['alter table inbox alter column payload set compression pglz', 'alter table inbox alter column response set compression pglz'],
  'inbox-lz4': ['alter table inbox alter column payload set compression lz4', 'alter table inbox alter column response set compression lz4'],
  // The body kept as json (text, checked) rather than jsonb (parsed into its binary form, keys sorted).
  'inbox-json': ['alter table inbox alter column payload type json using payload::json', 'alter table inbox alter column payload set compression lz4'],
  'inbox-external': ['alter table inbox alter column payload set storage external', 'alter table inbox alter column response set storage external'],
  // Information only: the hub never changes durability.
  'info-sync-commit-off': ['alter database current set synchronous_commit = off'],
};

const { values } = parseArgs({ options: {
  batches: { type: 'string', default: '40' }, warmup: { type: 'string', default: '5' }, batch: { type: 'string', default: '1000' },
  variants: { type: 'string', default: Object.keys(VARIANTS).join(',') }, villages: { type: 'string', default: '20' },
} });
const batches = Number(values.batches);
const warmup = Number(values.warmup);
const size = Number(values.batch);
const here = path.dirname(fileURLToPath(import.meta.url));
const config = loadConfig(loadEnv({ ...process.env, DATABASE_URL: 'postgres://x/y' }).configDir);
const villages = readFileSync(path.join(here, '../config/regions.csv'), 'utf8').split('\n')
  .map((l) => l.split(',')).filter((c) => c[2] === 'desa').map((c) => c[0]!.replaceAll('.', ''))
  .filter((_, i, all) => i % Math.max(1, Math.floor(all.length / Number(values.villages))) === 0).slice(0, Number(values.villages));

// The bodies bench:push sends (bench/push.ts), each batch with its own externalIds.
const total = (batches + warmup) * size;
const people = generatePopulation({ records: Math.min(total, 60_000), seed: 1815 }).records;
const services = ['KTP_EL_BARU', 'KIA', 'LEGALISASI_DOKUMEN', 'PENGANTAR_SKCK', 'SURAT_PINDAH_DATANG'];
const texts = Array.from({ length: batches + warmup }, (_, b) => JSON.stringify({
  registrations: Array.from({ length: size }, (_, k) => {
    const i = (b * size + k) % people.length;
    const p = people[i]!;
    return {
      externalId: `b-${b}-${k}`, service: services[i % services.length],
      applicant: {
        nik: p.nik, kk: p.kk, fullName: p.fullName, sex: p.sex, birthDate: p.birthDate, birthPlace: p.birthPlace ?? 'Panaragan',
        motherName: p.motherName, address: p.address ?? 'Jl. Lintas Sumatera', villageCode: p.villageCode, rt: p.rt, rw: p.rw, dusun: p.dusun,
        phone: '081234567890',
      },
    };
  }),
}));

/** What the route hands storeRegistrations for a body (src/api/registrations.ts). */
function prepared(text: string, village: string) {
  const body = storableValue(JSON.parse(text) as { registrations: unknown[] });
  keepRawJson(body, text);
  const list = body.registrations;
  return { body, list, checks: checkRegistrations(list, config, village) };
}

/** The first words of a statement, as its label. */
function label(q: SQL): string {
  const chunk = (q as unknown as { queryChunks: unknown[] }).queryChunks.find((c) => (c as { value?: unknown }).value instanceof Array) as { value: string[] } | undefined;
  const text = (chunk?.value.join('') ?? '?').trim().replace(/\s+/g, ' ');
  return text.slice(0, 40);
}

interface Result { variant: string; records: number; rejected: number; cpuUsPerRecord: number; wallUsPerRecord: number; walBytesPerRecord: number; statements: Record<string, number> }


async function run(variant: string): Promise<Result> {
  const t = await createTestDatabase();
  await t.database.close();
  const admin = await openDatabase(t.url, '', { max: 1 });
  for (const s of VARIANTS[variant]!) await admin.db.execute(sql.raw(s.replace('database current', `database "${new URL(t.url).pathname.slice(1)}"`)));
  await admin.close();
  const { db, close } = await openDatabase(t.url, '', { max: 1 });
  const [{ pid }] = await rows<{ pid: number }>(db, sql`select pg_backend_pid() as pid`) as [{ pid: number }];
  const stmt = new Map<string, number>();
  let timing = false;
  const timed = (tx: Tx): Tx => new Proxy(tx, {
    get(target, prop, receiver) {
      if (prop !== 'execute') return Reflect.get(target, prop, receiver) as unknown;
      return async (q: SQL) => {
        const c0 = cpuUs(pid);
        const res = await target.execute(q);
        if (timing) stmt.set(label(q), (stmt.get(label(q)) ?? 0) + cpuUs(pid) - c0);
        return res;
      };
    },
  });
  let records = 0;
  let rejected = 0;
  let cpu0 = 0;
  let wall0 = 0;
  let wal0 = '0/0';
  for (let b = 0; b < texts.length; b++) {
    if (b === warmup) {
      const [w] = await rows<{ lsn: string }>(db, sql`select pg_current_wal_insert_lsn()::text as lsn`);
      wal0 = w!.lsn;
      cpu0 = cpuUs(pid);
      wall0 = performance.now();
      timing = true;
    }
    const village = villages[b % villages.length]!;
    const { body, list, checks } = prepared(texts[b]!, village);
    const c1 = cpuUs(pid);
    await db.transaction(async (tx) => {
      await storeRegistrations(timed(tx), { channel: 'push', villageCode: village, apiKeyId: 1 + (b % villages.length), idempotencyKey: null, requestHash: null, payload: body, list, checks });
    });
    if (timing) {
      stmt.set('(begin, commit)', (stmt.get('(begin, commit)') ?? 0) + cpuUs(pid) - c1);
      records += list.length;
      rejected += checks.filter((c) => !c.ok).length;
    }
  }
  const wall = performance.now() - wall0;
  const cpu = cpuUs(pid) - cpu0;
  const [w] = await rows<{ bytes: number }>(db, sql`select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ${wal0}::pg_lsn)::float8 as bytes`);
  await close();
  await t.drop();
  const perRec = (us: number) => Number((us / records).toFixed(1));
  const inner = [...stmt].filter(([k]) => !k.startsWith('(')).reduce((s, [, v]) => s + v, 0);
  stmt.set('(begin, commit)', stmt.get('(begin, commit)')! - inner);
  const statements = Object.fromEntries([...stmt].map(([k, v]) => [k, perRec(v)]));
  return {
    variant, records, rejected, cpuUsPerRecord: perRec(cpu), wallUsPerRecord: perRec(wall * 1000),
    walBytesPerRecord: Math.round(w!.bytes / records), statements,
  };
}

for (const v of values.variants.split(',')) {
  if (!VARIANTS[v]) throw new Error(`unknown variant ${v}`);
  console.log(JSON.stringify(await run(v)));
}
process.exit(0);
