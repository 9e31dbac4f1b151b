import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { startSimulator } from '../../src/simulator/server.js';
import { requestSync, circuitOf } from '../../src/connectors/sync/runs.js';
import { syncQueueOf } from '../../src/connectors/sync/queue.js';
import { Queue } from 'bullmq';
import { eventually, startTestHub, TEST_REDIS_URL } from '../helpers/hub.js';
import { configWithSources, KEC, SIM_LOGIN, VILLAGES } from './fixtures/syncConfig.js';

// The servers' 60 requests a minute are tested on their own (rateLimit.test.ts); these runs would wait for them.
const sim = await startSimulator({ residents: 1000, villages: VILLAGES, invalidEvery: 97, tokenMaxUses: 4, seed: 7, rateLimit: { requests: 5000, windowMs: 60_000 } });
t.teardown(() => sim.close());
const fast = { minPageIntervalMs: 0, attempts: 4, backoffMs: 40, timeoutMs: 1500, rateLimit: { requests: 5000, windowSeconds: 60 } };
const gabungan = (id: string, extra: Record<string, unknown> = {}) => ({
  id, connector: 'opensid-gabungan', kecamatanCode: KEC, enabled: true,
  settings: { baseUrl: sim.url, ...SIM_LOGIN, pageSize: 100, ...fast, ...extra },
});
const th = await startTestHub(t, {}, {
  CONFIG_DIR: configWithSources([
    gabungan('gab-tbt'),
    { id: 'gab-wrong', connector: 'opensid-gabungan', kecamatanCode: KEC, enabled: true, settings: { baseUrl: sim.url, email: SIM_LOGIN.email, password: 'salah-sandi', ...fast } },
    { id: 'desa-panaragan', connector: 'opensid-api', villageCode: '18.12.01.2002', enabled: true, settings: { baseUrl: `${sim.url}/desa/1812012002`, username: SIM_LOGIN.email, password: SIM_LOGIN.password, residents: true, ...fast } },
  ]),
});
const ctx = th.hub.ctx;
const queue = syncQueueOf(ctx.queues);
let db = th.hub.database.db;
const expected = [...sim.villageCounts.values()].reduce((a, b) => a + b, 0);
const invalid = Math.floor(expected / 97);
const pages = Math.ceil(expected / 100);
let valid = 0;

async function run(sourceId: string) {
  const r = await requestSync(ctx, queue, sourceId, 'manual');
  if (r.status !== 'started') throw new Error(`not started: ${JSON.stringify(r)}`);
  return eventually(async () => {
    const [x] = await rows<{ id: number; status: string; pages: number; records_accepted: number; records_quarantined: number; error: string | null; cursor_from: unknown }>(db, sql`
      select id, status, pages, records_accepted, records_quarantined, error, cursor_from from sync_runs where id = ${r.runId}`);
    return x && x.status !== 'running' ? x : null;
  }, 30_000);
}
const residents = async (sourceId: string) => (await rows<{ n: number; distinct: number }>(db, sql`
  select count(*)::int as n, count(distinct (village_code, local_id))::int as distinct from resident_records where source_id = ${sourceId}`))[0]!;
const quarantined = async () => (await rows<{ n: number }>(db, sql`select count(*)::int as n from quarantine where kind = 'resident'`))[0]!.n;
const source = async (id: string) => (await rows<{ cursor: unknown; last_error: string | null; last_success_at: Date | null }>(db, sql`
  select cursor, last_error, last_success_at from sources where id = ${id}`))[0]!;

t.test('a full pull commits every valid resident once and quarantines the invalid ones; a re-pull changes nothing', async (t) => {
  const loginsBefore = sim.stats.logins;
  const r = await run('gab-tbt');
  t.equal(r.status, 'succeeded', r.error ?? '');
  t.equal(r.pages, pages);
  t.equal(r.records_accepted + r.records_quarantined, expected);
  // The generator's own noise makes a few more rows invalid than the simulator's every-97th.
  t.ok(r.records_quarantined >= invalid && r.records_quarantined < invalid + 20);
  valid = r.records_accepted;
  t.same(await residents('gab-tbt'), { n: valid, distinct: valid });
  t.equal(await quarantined(), r.records_quarantined);
  t.ok(sim.stats.logins - loginsBefore >= Math.floor(pages / 4), 'expired tokens (4 uses) were renewed by logging in again');
  t.equal(sim.stats.failedLogins, 0);
  const s = await source('gab-tbt');
  t.equal(s.cursor, null, 'a finished pull starts over next time');
  t.ok(s.last_success_at);
  t.equal(s.last_error, null);

  const again = await run('gab-tbt');
  t.equal(again.status, 'succeeded');
  t.same(await residents('gab-tbt'), { n: valid, distinct: valid }, 'never doubled');
  t.equal(await quarantined(), r.records_quarantined, 'rows already in quarantine are not quarantined again');
  const [changed] = await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_history`);
  t.equal(changed!.n, 0, 'the re-pull found every record unchanged');
  const inboxRows = await rows<{ payload: { sourceId: string; pages: number; rows: number }; record_count: number }>(db, sql`
    select payload, record_count from inbox where channel = 'pull' and source_id = 'gab-tbt'`);
  t.ok(inboxRows.length > 0 && inboxRows.every((i) => i.payload.sourceId === 'gab-tbt' && i.payload.pages >= 1 && i.payload.rows >= i.record_count),
    'each committed batch of pages is in the inbox by reference, not as a second copy of its rows');
  const [dates] = await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records where source_id = 'gab-tbt' and birth_date is null`);
  t.ok(dates!.n < expected / 10, 'd-m-Y birth dates were read');
  const [married] = await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_records where source_id = 'gab-tbt' and marital_status = 2`);
  t.ok(married!.n > 0, 'status_kawin objects were read by id');
});

t.test('5xx, malformed JSON, a dropped connection, a short page and a timeout are retried within the run', async (t) => {
  sim.fault({ kind: '5xx', path: 'penduduk', page: 2 });
  sim.fault({ kind: 'malformed', path: 'penduduk', page: 3 });
  sim.fault({ kind: 'truncated', path: 'penduduk', page: 4 });
  sim.fault({ kind: 'short', path: 'penduduk', page: 5 });
  sim.fault({ kind: 'timeout', path: 'penduduk', page: 6 });
  sim.fault({ kind: 'expire-token', path: 'penduduk', page: 7 });
  const before = new Map(sim.stats.pageRequests);
  const r = await run('gab-tbt');
  t.equal(r.status, 'succeeded', r.error ?? '');
  t.equal(r.records_accepted + r.records_quarantined, expected);
  for (const p of [2, 3, 4, 5, 6, 7]) {
    const key = `/api/v1/penduduk#${p}`;
    t.equal((sim.stats.pageRequests.get(key) ?? 0) - (before.get(key) ?? 0), 2, `page ${p} fetched twice`);
  }
  t.same(await residents('gab-tbt'), { n: valid, distinct: valid });
});

t.test('a page that keeps failing fails the run with its reason; the cursor stays and the next run resumes there', async (t) => {
  sim.fault({ kind: '5xx', path: 'penduduk', page: 4, times: 4 });
  const before = new Map(sim.stats.pageRequests);
  const failed = await run('gab-tbt');
  t.equal(failed.status, 'failed');
  t.match(failed.error, /^SERVER_ERROR: HTTP 500 \(page 4, after 4 attempts\)/);
  t.same((await source('gab-tbt')).cursor, { page: 4 }, 'cursor at the failed page');
  t.match((await source('gab-tbt')).last_error, /SERVER_ERROR/);
  const resumed = await run('gab-tbt');
  t.equal(resumed.status, 'succeeded');
  t.same(resumed.cursor_from, { page: 4 }, 'resumed at the failed page');
  t.equal(resumed.pages, pages - 3);
  t.equal((sim.stats.pageRequests.get('/api/v1/penduduk#1') ?? 0) - (before.get('/api/v1/penduduk#1') ?? 0), 1, 'page 1 was not fetched again');
  t.same(await residents('gab-tbt'), { n: valid, distinct: valid });
});

t.test('a server that disappears mid-sync fails the run; when it is back, the next run resumes', async (t) => {
  sim.fault({ kind: 'slow', path: 'penduduk', page: 3, delayMs: 1000 });
  const started = await requestSync(ctx, queue, 'gab-tbt', 'manual');
  t.equal(started.status, 'started');
  const runId = (started as { runId: number }).runId;
  await eventually(async () => ((await rows<{ pages: number }>(db, sql`select pages from sync_runs where id = ${runId}`))[0]!.pages >= 2 ? true : null));
  sim.setDown(true);
  const failed = await eventually(async () => {
    const [x] = await rows<{ status: string; error: string }>(db, sql`select status, error from sync_runs where id = ${(started as { runId: number }).runId}`);
    return x!.status === 'failed' ? x : null;
  });
  t.match(failed.error, /^NETWORK/);
  t.same((await source('gab-tbt')).cursor, { page: 3 });
  sim.setDown(false);
  const resumed = await run('gab-tbt');
  t.equal(resumed.status, 'succeeded');
  t.same(resumed.cursor_from, { page: 3 });
  t.same(await residents('gab-tbt'), { n: valid, distinct: valid });
});

t.test('records committed before a crash (cursor not yet advanced) come back unchanged, never doubled', async (t) => {
  // The crash window: the page's transaction committed, the process died before the cursor moved.
  await db.execute(sql`update sources set cursor = '{"page": 2}'::jsonb where id = 'gab-tbt'`);
  await db.execute(sql`update resident_records set updated_at = updated_at where source_id = 'gab-tbt'`);
  const historyBefore = (await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_history`))[0]!.n;
  const r = await run('gab-tbt');
  t.equal(r.status, 'succeeded');
  t.same(await residents('gab-tbt'), { n: valid, distinct: valid });
  t.equal((await rows<{ n: number }>(db, sql`select count(*)::int as n from resident_history`))[0]!.n, historyBefore, 'no record changed');
});

t.test('a run whose job was lost (worker killed, Redis emptied) is marked interrupted and the next run resumes from the cursor', async (t) => {
  sim.fault({ kind: 'slow', path: 'penduduk', page: 3, delayMs: 400 });
  const started = await requestSync(ctx, queue, 'gab-tbt', 'manual');
  const runId = (started as { runId: number }).runId;
  await eventually(async () => ((await rows<{ pages: number }>(db, sql`select pages from sync_runs where id = ${runId}`))[0]!.pages >= 2 ? true : null));
  // What a Redis restart does to the queue while a page is in flight.
  await th.hub.close();
  const cleaner = new Queue('sync', { connection: { url: TEST_REDIS_URL }, prefix: th.prefix });
  await cleaner.obliterate({ force: true });
  await cleaner.close();
  await th.restart();
  db = th.hub.database.db;
  await db.execute(sql`update sync_runs set started_at = now() - interval '1 minute' where id = ${runId}`);
  const next = await requestSync(th.hub.ctx, syncQueueOf(th.hub.ctx.queues), 'gab-tbt', 'manual');
  t.equal(next.status, 'started');
  const [old] = await rows<{ status: string; error: string }>(db, sql`select status, error from sync_runs where id = ${runId}`);
  t.equal(old!.status, 'failed');
  t.match(old!.error, /^INTERRUPTED/);
  const done = await eventually(async () => {
    const [x] = await rows<{ status: string; cursor_from: { page: number } }>(db, sql`select status, cursor_from from sync_runs where id = ${(next as { runId: number }).runId}`);
    return x!.status !== 'running' ? x : null;
  }, 30_000);
  t.equal(done.status, 'succeeded');
  t.ok(done.cursor_from.page >= 3, 'resumed where the lost run stopped');
  t.same(await residents('gab-tbt'), { n: valid, distinct: valid });
});

t.test('a refused login ends the run at once, is not repeated, and opens the circuit for scheduled runs', async (t) => {
  const hub = th.hub;
  const failedBefore = sim.stats.failedLogins;
  const r = await requestSync(hub.ctx, syncQueueOf(hub.ctx.queues), 'gab-wrong', 'manual');
  t.equal(r.status, 'started');
  const done = await eventually(async () => {
    const [x] = await rows<{ status: string; error: string }>(hub.database.db, sql`select status, error from sync_runs where id = ${(r as { runId: number }).runId}`);
    return x!.status !== 'running' ? x : null;
  });
  t.match(done.error, /^LOGIN_REJECTED/);
  t.equal(sim.stats.failedLogins - failedBefore, 1, 'one failed login, not one per retry');
  t.equal((await circuitOf(hub.ctx, 'gab-wrong')).state, 'open');
  const scheduled = await requestSync(hub.ctx, syncQueueOf(hub.ctx.queues), 'gab-wrong', 'schedule');
  t.equal(scheduled.status, 'circuit-open');
  t.equal(sim.stats.failedLogins - failedBefore, 1);
  t.notOk(th.logs.text.includes('salah-sandi'), 'the password is never logged');
});

t.test('the OpenSID API of one village is pulled in pages of 100 (its PendudukTransformer gives five fields)', async (t) => {
  const hub = th.hub;
  const r = await requestSync(hub.ctx, syncQueueOf(hub.ctx.queues), 'desa-panaragan', 'manual');
  const done = await eventually(async () => {
    const [x] = await rows<{ status: string; pages: number; records_accepted: number; records_quarantined: number; error: string | null }>(hub.database.db, sql`
      select status, pages, records_accepted, records_quarantined, error from sync_runs where id = ${(r as { runId: number }).runId}`);
    return x!.status !== 'running' ? x : null;
  }, 30_000);
  t.equal(done.status, 'succeeded', done.error ?? '');
  const n = sim.villageCounts.get('1812012002')!;
  t.equal(done.pages, Math.ceil(n / 100));
  t.equal(done.records_accepted + done.records_quarantined, n);
  const [v] = await rows<{ n: number }>(hub.database.db, sql`select count(*)::int as n from resident_records where village_code = '1812012002'`);
  t.equal(v!.n, done.records_accepted, 'the residents Gabungan already delivered (same village and id) are not doubled');
});

t.test('a source disabled during a run fails it as gone', async (t) => {
  const hub = th.hub;
  sim.fault({ kind: 'slow', path: 'penduduk', page: 2, delayMs: 300 });
  const r = await requestSync(hub.ctx, syncQueueOf(hub.ctx.queues), 'gab-tbt', 'manual');
  await new Promise((res) => setTimeout(res, 100));
  await hub.database.db.execute(sql`update sources set enabled = false where id = 'gab-tbt'`);
  const done = await eventually(async () => {
    const [x] = await rows<{ status: string; error: string }>(hub.database.db, sql`select status, error from sync_runs where id = ${(r as { runId: number }).runId}`);
    return x!.status !== 'running' ? x : null;
  });
  t.equal(done.status, 'failed');
  t.match(done.error, /^SOURCE_GONE/);
  await hub.database.db.execute(sql`update sources set enabled = true where id = 'gab-tbt'`);
});

t.test('several pages per job are committed together and the cursor moves past all of them', async (t) => {
  const hub = th.hub;
  await hub.database.db.execute(sql`update sources set settings = settings || '{"pagesPerJob": 3}'::jsonb, cursor = null where id = 'gab-tbt'`);
  sim.fault({ kind: '5xx', path: 'penduduk', page: 5 });
  const r = await requestSync(hub.ctx, syncQueueOf(hub.ctx.queues), 'gab-tbt', 'manual');
  const done = await eventually(async () => {
    const [x] = await rows<{ status: string; pages: number; records_accepted: number; records_quarantined: number }>(hub.database.db, sql`
      select status, pages, records_accepted, records_quarantined from sync_runs where id = ${(r as { runId: number }).runId}`);
    return x!.status !== 'running' ? x : null;
  }, 30_000);
  t.equal(done.status, 'succeeded');
  t.equal(done.pages, pages);
  t.equal(done.records_accepted + done.records_quarantined, expected);
  t.same(await residents('gab-tbt'), { n: valid, distinct: valid });
});
