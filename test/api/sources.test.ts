import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { startSimulator } from '../../src/simulator/server.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { configWithSources, SIM_LOGIN, VILLAGES } from '../connectors/fixtures/syncConfig.js';

const sim = await startSimulator({ residents: 400, villages: VILLAGES, seed: 5 });
t.teardown(() => sim.close());
const th = await startTestHub(t, {}, {
  CONFIG_DIR: configWithSources([
    { id: 'desa-panaragan', villageCode: VILLAGES[0], connector: 'opensid-api', enabled: true, settings: { baseUrl: `${sim.url}/desa/${VILLAGES[0]}`, ...SIM_LOGIN, residents: true, pageSize: 20, minPageIntervalMs: 150, backoffMs: 50 } },
  ]),
});
const admin = await th.key('admin');
const ownKecamatan = await th.key('kecamatan', { kecamatanCode: '181201' });
const otherKecamatan = await th.key('kecamatan', { kecamatanCode: '181205' });
const village = await th.key('village', { villageCode: VILLAGES[0] });

async function call(method: string, path: string, key: string) {
  const res = await fetch(`${th.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : null };
}

t.test('a manual sync by the kecamatan\'s key runs; a second one while it runs is refused', async (t) => {
  const started = await call('POST', '/v1/sources/desa-panaragan/sync', ownKecamatan);
  t.equal(started.status, 202);
  t.match(started.body, { runId: Number, status: 'started' });
  const again = await call('POST', '/v1/sources/desa-panaragan/sync', admin);
  t.equal(again.status, 409);
  t.equal(again.body.code, 'SYNC_RUNNING');
  await eventually(async () => (await rows<{ status: string }>(th.hub.database.db, sql`select status from sync_runs where id = ${started.body.runId as number}`))[0]!.status === 'succeeded');
});

t.test('GET /v1/sources shows lag, last success, records and never the settings', async (t) => {
  const res = await call('GET', '/v1/sources', admin);
  t.equal(res.status, 200);
  const [s] = res.body;
  t.match(s, { id: 'desa-panaragan', villageCode: VILLAGES[0], connector: 'opensid-api', lastSuccessAt: String, lagSeconds: Number, lastError: null, circuit: 'closed' });
  t.ok(s.records > 0 && s.records <= sim.villageCounts.get(VILLAGES[0]!)!);
  t.notOk(res.text.includes(SIM_LOGIN.password), 'no password');
  t.notOk(res.text.includes('settings'), 'no settings at all');
  const runs = await call('GET', '/v1/sources/desa-panaragan/runs', ownKecamatan);
  t.equal(runs.status, 200);
  t.match(runs.body[0], { trigger: 'manual', status: 'succeeded', pages: Number, recordsAccepted: Number, lagSeconds: 0 });
  t.notOk(th.logs.text.includes(SIM_LOGIN.password), 'the password never reaches the logs');
});

t.test('other kecamatan and village keys cannot see or trigger the source', async (t) => {
  t.same((await call('GET', '/v1/sources', otherKecamatan)).body, []);
  t.equal((await call('POST', '/v1/sources/desa-panaragan/sync', otherKecamatan)).status, 404);
  t.equal((await call('GET', '/v1/sources/desa-panaragan/runs', otherKecamatan)).status, 404);
  t.equal((await call('POST', '/v1/sources/desa-panaragan/sync', village)).status, 403);
  t.equal((await call('POST', '/v1/sources/no-such/sync', admin)).status, 404);
});
