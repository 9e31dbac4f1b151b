/**
 * The reliability drill, end to end against the project's own processes: a throw-away Postgres
 * cluster and redis-server, `serve` and `worker` as an operator runs them (supervised), village systems
 * pushing batches, and faults while they push: a Redis flush, kill -9 of both hub processes, a
 * Postgres restart. Then the bad-input corpus and a search of every log line and Redis key for the
 * personal data sent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { openDatabase, rows, type Database } from '../../src/db/client.js';
import { createKey, revokeKey } from '../../src/api/keys.js';
import { startThrowawayPostgres, startThrowawayRedis, type ThrowawayPostgres, type ThrowawayRedis } from '../../test/helpers/throwaway.js';
import { killHub, spawnHub, waitFor, waitForApi, type HubProcess } from './processes.js';
import { newStats, outcome, personalDataFound, pushBatch, pushLoad, type LoadStats, type Outcome, type Village } from './load.js';
import { runProbes, type ProbeResult } from './probes.js';

export interface DrillOptions {
  port: number;
  villages: number;
  batchesPerVillage: number;
  batchSize: number;
  sweepEverySeconds: number;
  /** Pause of each village between its batches. */
  pauseMs?: number;
  /** Per fault: the longest wait for recovery before the drill calls it failed. */
  recoveryTimeoutMs: number;
  log?: (line: string) => void;
}

export interface FaultReport { fault: string; recoverSeconds: number | null; restarts?: number }

export interface DrillReport extends Outcome {
  apiListenSeconds: number;
  faults: FaultReport[];
  probes: { total: number; failed: ProbeResult[] };
  /** Answers to the load by status (0: connection refused or dropped). */
  loadStatuses: Record<string, number>;
  /** Personal data sent that was found in logs or Redis (shortened). */
  personalDataInLogs: string[];
  personalDataInRedis: string[];
  serveRestarts: number;
  workerRestarts: number;
  seconds: number;
}

const VILLAGES = ['1812012002', '1812012003', '1812022002', '1812032001', '1812042002', '1812052006', '1812062001', '1812072001'];

/** Every value under the prefix, as text. */
async function redisText(url: string): Promise<string[]> {
  const r = new Redis(url);
  const out: string[] = [];
  try {
    for (const key of await r.keys('*')) {
      const type = await r.type(key);
      out.push(key);
      if (type === 'string') out.push(String(await r.get(key)));
      else if (type === 'hash') out.push(JSON.stringify(await r.hgetall(key)));
      else if (type === 'list') out.push(JSON.stringify(await r.lrange(key, 0, -1)));
      else if (type === 'set') out.push(JSON.stringify(await r.smembers(key)));
      else if (type === 'zset') out.push(JSON.stringify(await r.zrange(key, 0, -1)));
      else if (type === 'stream') out.push(JSON.stringify(await r.xrange(key, '-', '+')));
    }
  } finally {
    r.disconnect();
  }
  return out;
}

async function routedOrHeld(db: Database['db'], village: string, prefix: string): Promise<number> {
  const [r] = await rows<{ n: number }>(db, sql`
    select count(*)::int as n from registrations where village_code = ${village} and external_id like ${`${prefix}%`} and status in ('routed', 'held')`);
  return r!.n;
}

export async function runDrill(o: DrillOptions): Promise<DrillReport> {
  const log = o.log ?? (() => {});
  const outDir = path.join(os.tmpdir(), `tiyuh-drill-${o.port}`);
  const started = Date.now();
  let pg: ThrowawayPostgres | null = null;
  let redis: ThrowawayRedis | null = null;
  let serve: HubProcess | null = null;
  let worker: HubProcess | null = null;
  let database: Database | null = null;
  try {
    pg = await startThrowawayPostgres();
    redis = await startThrowawayRedis();
    log(`throw-away Postgres on ${pg.port}, redis-server on ${redis.port}`);
    const url = `http://127.0.0.1:${o.port}`;
    const env = {
      DATABASE_URL: pg.url, REDIS_URL: redis.url, QUEUE_PREFIX: 'drill', PORT: String(o.port), HOST: '127.0.0.1',
      SWEEP_EVERY_SECONDS: String(o.sweepEverySeconds), RATE_LIMIT_PER_MINUTE: '100000', DATA_DIR: outDir,
    };
    const t0 = Date.now();
    serve = spawnHub('serve', 'serve', env);
    await waitForApi(url, 120_000);
    const apiListenSeconds = (Date.now() - t0) / 1000;
    worker = spawnHub('worker', 'worker', { ...env, PORT: '0' });
    log(`serve answers after ${apiListenSeconds.toFixed(1)} s`);
    const w = worker;
    await waitFor('worker started', async () => w.output.join('').includes('"msg":"tiyuh hub started"'), 120_000);

    database = await openDatabase(pg.url, '', { max: 3 });
    const db = database.db;
    const villages: Village[] = [];
    for (const code of VILLAGES.slice(0, o.villages)) villages.push({ code, key: (await createKey(db, { role: 'village', villageCode: code })).secret });
    const canaryVillage: Village = { code: VILLAGES[VILLAGES.length - 1]!, key: (await createKey(db, { role: 'village', villageCode: VILLAGES[VILLAGES.length - 1]! })).secret };

    const stats: LoadStats = newStats();
    const deadline = Date.now() + 20 * 60_000;
    let faultsDone = false;
    const load = pushLoad(url, villages, o.batchesPerVillage, o.batchSize, stats, deadline, () => !faultsDone, o.pauseMs ?? 0);

    const faults: FaultReport[] = [];
    let canaryNo = 0;
    /** Recovery: a new batch accepted and through the pipeline, and everything accepted before the fault through it too. */
    const recovered = async (name: string, since: number, before: Set<string>) => {
      const n = canaryNo++;
      try {
        await waitFor(`${name}: canary accepted`, () => pushBatch(url, canaryVillage, 10_000 + n, 5, stats, since + o.recoveryTimeoutMs, 900_000), o.recoveryTimeoutMs);
        await waitFor(`${name}: canary routed`, async () => (await routedOrHeld(db, canaryVillage.code, `drill-${10_000 + n}-`)) === 5, Math.max(1000, since + o.recoveryTimeoutMs - Date.now()), 250);
        await waitFor(`${name}: earlier records through`, async () => {
          const placed = new Set((await rows<{ k: string }>(db, sql`
            select village_code || '/' || external_id as k from registrations where status in ('routed', 'held') and external_id like 'drill-%'`)).map((r) => r.k));
          return [...before].every((k) => placed.has(k));
        }, Math.max(1000, since + o.recoveryTimeoutMs - Date.now()), 500);
        return (Date.now() - since) / 1000;
      } catch (err) {
        log(`${name}: ${(err as Error).message}`);
        return null;
      }
    };
    const settle = async () => waitFor('load under way', async () => stats.accepted.size > 0, 60_000);
    await settle();

    // 1. Redis loses every job.
    let before = new Set(stats.accepted);
    let at = Date.now();
    const flusher = new Redis(redis.url);
    await flusher.flushall();
    flusher.disconnect();
    log('fault: Redis flushed');
    faults.push({ fault: 'redis flush', recoverSeconds: await recovered('redis flush', at, before) });

    // 2. kill -9 of the serve and worker hub processes; their supervisors bring them back.
    before = new Set(stats.accepted);
    at = Date.now();
    await Promise.all([killHub(serve), killHub(worker)]);
    log('fault: kill -9 of serve and worker');
    faults.push({ fault: 'kill -9 serve + worker', recoverSeconds: await recovered('kill -9', at, before) });

    // 3. Postgres restarts under load.
    before = new Set(stats.accepted);
    at = Date.now();
    pg.restart();
    log('fault: Postgres restarted');
    faults.push({ fault: 'postgres restart', recoverSeconds: await recovered('postgres restart', at, before) });

    faultsDone = true;
    await load;
    log(`load done: ${stats.accepted.size} accepted in ${stats.requests} requests`);
    await waitFor('pipeline drained', async () => (await outcome(db, stats)).lost === 0, o.recoveryTimeoutMs * 2, 1000).catch(() => null);
    const result = await outcome(db, stats);

    // Bad input, with keys of every kind.
    const other = villages[1] ?? canaryVillage;
    const revoked = await createKey(db, { role: 'village', villageCode: villages[0]!.code });
    await revokeKey(db, revoked.id);
    const [own] = await rows<{ id: number }>(db, sql`select min(id)::int as id from registrations where village_code = ${villages[0]!.code}`);
    const probeKeys = {
      registrationId: own?.id ?? 1,
      village: villages[0]!.key, villageCode: villages[0]!.code, otherVillage: other.key, otherVillageCode: other.code,
      kecamatan: (await createKey(db, { role: 'kecamatan', kecamatanCode: '181201' })).secret,
      agency: (await createKey(db, { role: 'agency', agencyCode: 'disdukcapil' })).secret, agencyCode: 'disdukcapil',
      admin: (await createKey(db, { role: 'admin' })).secret,
      revoked: revoked.secret,
      expired: (await createKey(db, { role: 'village', villageCode: villages[0]!.code, expiresAt: new Date(Date.now() - 1000) })).secret,
    };
    const probes = await runProbes(url, probeKeys, 500_000);
    log(`probes: ${probes.results.filter((p) => p.ok).length}/${probes.results.length} answered as designed`);
    // Let the probes' accepted records pass the pipeline (and any failure reach the logs) before searching.
    await new Promise((r) => setTimeout(r, 3000));

    const people = [...stats.people, ...probes.people];
    const report: DrillReport = {
      ...result,
      apiListenSeconds,
      faults,
      probes: { total: probes.results.length, failed: probes.results.filter((p) => !p.ok) },
      loadStatuses: Object.fromEntries([...stats.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => [String(s), n])),
      personalDataInLogs: personalDataFound([...serve.output, ...worker.output], people),
      personalDataInRedis: personalDataFound(await redisText(redis.url), people),
      serveRestarts: serve.starts() - 1,
      workerRestarts: worker.starts() - 1,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    return report;
  } finally {
    // The processes' output stays for a look afterwards (it is what was searched for personal data).
    mkdirSync(outDir, { recursive: true });
    if (serve) writeFileSync(path.join(outDir, 'serve.log'), serve.output.join(''));
    if (worker) writeFileSync(path.join(outDir, 'worker.log'), worker.output.join(''));
    await database?.close().catch(() => {});
    await Promise.all([serve?.stop(), worker?.stop()]);
    await redis?.stop();
    pg?.destroy();
  }
}

/** The bar: nothing lost or doubled, every fault recovered within the limit, no 5xx but designed 503s, no personal data out. */
export function drillPassed(r: DrillReport, recoveryLimitSeconds = 60): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (r.lost) reasons.push(`${r.lost} lost`);
  if (r.duplicated) reasons.push(`${r.duplicated} duplicated`);
  for (const f of r.faults) if (f.recoverSeconds === null || f.recoverSeconds > recoveryLimitSeconds) reasons.push(`${f.fault}: recovery ${f.recoverSeconds ?? 'never'}`);
  if (r.probes.failed.length) reasons.push(`probes: ${r.probes.failed.map((p) => `${p.name} (${p.status}${p.why ? `: ${p.why}` : ''})`).join('; ')}`);
  const fiveHundreds = Object.entries(r.loadStatuses).filter(([s]) => Number(s) >= 500 && s !== '503').reduce((a, [, n]) => a + n, 0);
  if (fiveHundreds) reasons.push(`${fiveHundreds} answers 5xx other than 503 under load`);
  if (r.personalDataInLogs.length) reasons.push(`personal data in logs: ${r.personalDataInLogs.length}`);
  if (r.personalDataInRedis.length) reasons.push(`personal data in Redis: ${r.personalDataInRedis.length}`);
  return { ok: reasons.length === 0, reasons };
}
