import t from 'tap';
import { sql } from 'drizzle-orm';
import { sourcesTable } from '../../src/cli/commands/sources.js';
import { rows } from '../../src/db/client.js';
import { startSimulator } from '../../src/simulator/server.js';
import { requestSync } from '../../src/connectors/sync/runs.js';
import { syncQueueOf } from '../../src/connectors/sync/queue.js';
import { sourceStatuses } from '../../src/connectors/sync/status.js';
import type { RunPaging } from '../../src/connectors/sync/paging.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { configWithSources, KEC, SIM_LOGIN, VILLAGES } from './fixtures/syncConfig.js';

const [VA, VB] = VILLAGES as [string, string];
/** A tiyuh of the same kecamatan that has no residents on this server. */
const EMPTY = '1812012005';
const sim = await startSimulator({ residents: 900, villages: VILLAGES, seed: 21, rateLimit: { requests: 5000, windowMs: 60_000 } });
t.teardown(() => sim.close());
// A server of another version, whose listing allows fewer sorts.
const older = await startSimulator({ residents: 100, villages: [VA], seed: 21, gabunganSorts: ['nama'] });
t.teardown(() => older.close());
// A server that allows 8 requests per 2 s per user, shared by two sources of one account.
const strict = await startSimulator({ residents: 300, villages: [VA, VB], seed: 21, rateLimit: { requests: 8, windowMs: 2000 } });
t.teardown(() => strict.close());

const fast = { minPageIntervalMs: 0, attempts: 3, backoffMs: 40, timeoutMs: 3000, rateLimit: { requests: 5000, windowSeconds: 60 } };
const gab = (id: string, region: Record<string, string>, baseUrl: string, extra: Record<string, unknown> = {}) => ({
  id, connector: 'opensid-gabungan', enabled: true, ...region, settings: { baseUrl, ...SIM_LOGIN, ...fast, ...extra },
});
const th = await startTestHub(t, {}, {
  CONFIG_DIR: configWithSources([
    gab('gab-desa', { villageCode: VA }, sim.url, { pageSize: 20 }),
    gab('gab-kec', { kecamatanCode: KEC }, sim.url, { pageSize: 100 }),
    gab('gab-empty', { villageCode: EMPTY }, sim.url),
    gab('gab-old', { villageCode: VA }, older.url),
    gab('strict-a', { villageCode: VA }, strict.url, { pageSize: 10, rateLimit: { requests: 8, windowSeconds: 2 } }),
    gab('strict-b', { villageCode: VB }, strict.url, { pageSize: 10, rateLimit: { requests: 8, windowSeconds: 2 } }),
  ]),
});
const ctx = th.hub.ctx;
const db = th.hub.database.db;
const queue = syncQueueOf(ctx.queues);

interface Run { id: number; status: string; pages: number; records_accepted: number; records_quarantined: number; records_received: number; error: string | null; warning: string | null; paging: RunPaging | null }
async function start(sourceId: string): Promise<number> {
  const r = await requestSync(ctx, queue, sourceId, 'manual');
  if (r.status !== 'started') throw new Error(`not started: ${JSON.stringify(r)}`);
  return r.runId;
}
const finished = (runId: number) => eventually(async () => {
  const [x] = await rows<Run>(db, sql`select id, status, pages, records_accepted, records_quarantined, records_received, error, warning, paging from sync_runs where id = ${runId}`);
  return x && x.status !== 'running' ? x : null;
}, 60_000);
const run = async (sourceId: string) => finished(await start(sourceId));
const localIds = async (sourceId: string) => new Set((await rows<{ local_id: string }>(db, sql`
  select local_id from resident_records where source_id = ${sourceId}`)).map((r) => r.local_id));
const quarantinedIds = async () => new Set((await rows<{ external_id: string }>(db, sql`
  select external_id from quarantine where kind = 'resident'`)).map((r) => r.external_id));
const admin = await th.key('admin');

t.test('a village source asks for filter[kode_desa] sorted by nik and gets every resident of its village', async (t) => {
  const before = sim.stats.queries.length;
  const r = await run('gab-desa');
  t.equal(r.status, 'succeeded', r.error ?? '');
  const n = sim.villageCounts.get(VA)!;
  t.equal(r.records_received, n);
  t.equal(r.records_accepted + r.records_quarantined, n);
  t.equal(r.warning, null);
  t.match(r.paging, { startPage: 1, totalFirst: n, totalLast: n, distinct: n, repeats: 0, passes: [{ pass: 0, firstMovedPage: null }] });
  const queries = sim.stats.queries.slice(before);
  t.ok(queries.length >= Math.ceil(n / 20));
  for (const q of queries) {
    const p = new URLSearchParams(q);
    t.equal(p.get('filter[kode_desa]'), VA);
    t.equal(p.get('sort'), 'nik');
    t.notOk(p.has('config_desa') || p.has('kode_kecamatan'), 'never the unbound parameters');
  }
  const ids = new Set([...await localIds('gab-desa'), ...await quarantinedIds()]);
  for (const id of sim.residentIds(VA)) t.ok(ids.has(String(id)), `resident ${id} arrived`);
});

t.test('a kecamatan source asks for filter[kode_kecamatan] (6 digits, no dots) and gets every village of it', async (t) => {
  const before = sim.stats.queries.length;
  const r = await run('gab-kec');
  t.equal(r.status, 'succeeded', r.error ?? '');
  t.equal(r.records_received, sim.total);
  t.equal(r.records_accepted + r.records_quarantined, sim.total);
  for (const q of sim.stats.queries.slice(before)) t.equal(new URLSearchParams(q).get('filter[kode_kecamatan]'), KEC);
  // Rows the village source already delivered unchanged stay filed under it; every village is there.
  const [v] = await rows<{ villages: string[] }>(db, sql`select array_agg(distinct village_code order by village_code) as villages from resident_records`);
  t.same(v!.villages, [...VILLAGES].sort());
});

t.test('a page the server refuses with 400 fails the run at once with the server\'s reason; the check says so too', async (t) => {
  const requests = older.stats.queries.length;
  const r = await run('gab-old');
  t.equal(r.status, 'failed');
  t.match(r.error, /^HTTP_ERROR: HTTP 400: Requested sort\(s\) `nik` is not allowed\. Allowed sort\(s\) are `nama`\. \(page 1\)$/);
  t.equal(older.stats.queries.length - requests, 1, 'not retried: the same request gets the same answer');
  const res = await fetch(`${th.url}/v1/sources/gab-old/check`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
  t.equal(res.status, 502);
  t.match(await res.json(), { code: 'HTTP_ERROR', message: { en: /Requested sort\(s\) `nik` is not allowed/ } });
  await db.execute(sql`update sources set settings = settings || '{"sort": "none"}'::jsonb, cursor = null where id = 'gab-old'`);
  const unsorted = await run('gab-old');
  t.equal(unsorted.status, 'succeeded', 'with sort "none" the same server answers');
  t.equal(unsorted.records_received, older.villageCounts.get(VA));
});

t.test('rows inserted and deleted on the server between pages: repeats are dropped, skipped rows re-read, nothing lost', async (t) => {
  // The listing in the order the run reads it (by NIK), to delete rows the run has already passed.
  const login = await (await fetch(`${sim.url}/api/v1/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SIM_LOGIN) })).json() as { access_token: string };
  const ordered = (await (await fetch(`${sim.url}/api/v1/penduduk?filter[kode_desa]=${VA}&sort=nik&page[size]=500`, { headers: { authorization: `Bearer ${login.access_token}` } })).json() as { data: { id: string }[] }).data.map((d) => Number(d.id));
  const deleted = ordered.slice(3, 8);
  let inserted: number[] = [];
  // Just before page 3: five rows of page 1 are deleted (five rows slide unseen from page 3 into page 2),
  // and three rows are registered; just before page 5, two more rows of page 1 go.
  sim.onPage({ path: 'penduduk', page: 3, run: () => { sim.removeResidents(deleted); inserted = sim.addResidents(VA, 3); } });
  sim.onPage({ path: 'penduduk', page: 5, run: () => sim.removeResidents(ordered.slice(10, 12)) });
  const r = await run('gab-desa');
  t.equal(r.status, 'succeeded', r.error ?? '');
  const p = r.paging!;
  t.ok(p.passes.length >= 2, `re-read (${p.passes.length} passes)`);
  t.equal(p.passes[0]!.firstMovedPage, 3, 'the total moved on page 3');
  t.equal(p.passes[1]!.fromPage, 2, 'the re-read starts at the page before');
  t.ok(p.passes.slice(1).reduce((a, x) => a + x.fresh, 0) > 0, 'the re-read found rows the first pass skipped');
  t.ok(p.repeats > 0, 'rows seen twice were dropped');
  t.equal(p.totalLast, sim.villageCounts.get(VA));
  t.equal(r.warning, null, 'every row the server holds arrived');
  const ids = new Set([...await localIds('gab-desa'), ...await quarantinedIds()]);
  const missing = sim.residentIds(VA).filter((id) => !ids.has(String(id)));
  t.same(missing, [], 'no resident of the server is missing');
  for (const id of inserted) t.ok(ids.has(String(id)), `new resident ${id} arrived`);
  t.equal(r.records_received, p.distinct);
  const runs = await (await fetch(`${th.url}/v1/sources/gab-desa/runs?limit=1`, { headers: { authorization: `Bearer ${admin}` } })).json() as { paging: RunPaging; recordsReceived: number }[];
  t.match(runs[0], { recordsReceived: r.records_received, paging: { passes: Array } }, 'the run shows what it did');
});

t.test('a run that brings zero rows of a source that had rows is a warning, in /v1/sources and /metrics, and no success', async (t) => {
  const [before] = await rows<{ last_success_at: Date }>(db, sql`select last_success_at from sources where id = 'gab-desa'`);
  sim.removeResidents(sim.residentIds(VA));
  const r = await run('gab-desa');
  t.equal(r.status, 'succeeded', 'the run itself worked');
  t.match(r.warning, /^ZERO_ROWS: the server listed no residents, though this source had rows before/);
  const [after] = await rows<{ last_success_at: Date }>(db, sql`select last_success_at from sources where id = 'gab-desa'`);
  t.same(after!.last_success_at, before!.last_success_at, 'the source\'s lag keeps growing');
  t.ok((await localIds('gab-desa')).size > 0, 'the hub keeps what it holds');
  const list = await (await fetch(`${th.url}/v1/sources`, { headers: { authorization: `Bearer ${admin}` } })).json() as { id: string; warning: unknown }[];
  t.match(list.find((s) => s.id === 'gab-desa'), { warning: { code: 'ZERO_ROWS', runId: r.id, message: { id: /tidak membawa satu pun penduduk/, en: /had rows before/ } } });
  t.equal(list.find((s) => s.id === 'gab-kec')!.warning, null);
  const metrics = await (await fetch(`${th.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).text();
  t.match(metrics, /tiyuh_source_warning\{source="gab-desa",code="ZERO_ROWS"\} 1/);
  t.match(metrics, /tiyuh_source_warning\{source="gab-kec",code=""\} 0/);
  t.match((await sourceStatuses(ctx)).find((s) => s.id === 'gab-desa'), { warning: { code: 'ZERO_ROWS' } }, 'the console reads the same function');
  const table = sourcesTable(await sourceStatuses(ctx));
  t.match(table, /^SOURCE .* WARNING +LAST ERROR$/m, 'the terminal listing has the column');
  t.match(table, /^gab-desa .* ZERO_ROWS/m);
  t.match(table, new RegExp(`^gab-desa: ZERO_ROWS \\(run #${r.id}\\): .*tidak membawa satu pun penduduk`, 'm'), 'and the warning in words under the table');
});

t.test('a first run with zero rows says so too', async (t) => {
  const r = await run('gab-empty');
  t.equal(r.status, 'succeeded');
  t.match(r.warning, /^ZERO_ROWS_FIRST_RUN:/);
  const [s] = await rows<{ last_success_at: Date | null }>(db, sql`select last_success_at from sources where id = 'gab-empty'`);
  t.equal(s!.last_success_at, null);
});

t.test('two sources of one account share its request budget: the server\'s limit is never hit', async (t) => {
  const started = Date.now();
  const [a, b] = await Promise.all([start('strict-a'), start('strict-b')]);
  const [ra, rb] = await Promise.all([finished(a), finished(b)]);
  t.equal(ra.status, 'succeeded', ra.error ?? '');
  t.equal(rb.status, 'succeeded', rb.error ?? '');
  t.equal(ra.records_received + rb.records_received, strict.total);
  t.equal(strict.stats.rateLimited, 0, 'no 429');
  const requests = strict.stats.dataRequests + strict.stats.logins;
  t.ok(Date.now() - started >= (Math.ceil(requests / 8) - 1) * 2000, `${requests} requests spread over the 2 s windows`);
});
