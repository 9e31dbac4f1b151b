import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';
import { runCli } from '../connectors/opendk/fixtures/cli.js';

const configDir = mkdtempSync(path.join(os.tmpdir(), 'tiyuh-replay-'));
cpSync(path.resolve('config'), configDir, { recursive: true, filter: (src) => !src.endsWith('sources.json') });
// The CLI (a child process) reads the same changed catalogue.
process.env.CONFIG_DIR = configDir;
const th = await startTestHub(t, {}, { CONFIG_DIR: configDir });
const admin = await th.key('admin');
const village = await th.key('village', { villageCode: PANARAGAN });
const db = () => th.hub.database.db;

async function call(method: string, p: string, key: string, body?: unknown) {
  const res = await fetch(`${th.url}${p}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const queues = async () => rows<{ service_code: string; agency_code: string; status: string; n: number }>(db(), sql`
  select r.service_code, d.agency_code, d.status, count(*)::int as n from deliveries d join registrations r on r.id = d.registration_id
  group by 1, 2, 3 order by 1, 2, 3`);
const routed = async (n: number) => eventually(async () => (await rows<{ n: number }>(db(), sql`
  select count(*)::int as n from registrations where status = 'routed'`))[0]!.n === n);

t.test('after a catalogue change, replay from route moves the items to the new agency; a dry run counts first', async (t) => {
  const list = [
    ...[1, 2, 3].map((i) => ({ externalId: `rp-${i}`, service: 'KEJARI_TILANG', applicant: applicant(i) })),
    ...[4, 5].map((i) => ({ externalId: `rp-${i}`, service: 'KTP_EL_BARU', applicant: applicant(i) })),
  ];
  t.equal((await call('POST', '/v1/registrations', village, { registrations: list })).status, 202);
  await routed(5);
  const disdukcapil = await th.key('agency', { agencyCode: 'disdukcapil' });
  const claimed = await call('POST', '/v1/agencies/disdukcapil/items/claim', disdukcapil, { max: 1 });
  await call('POST', `/v1/agencies/disdukcapil/items/${claimed.body.items[0].id}/ack`, disdukcapil);
  const before = await queues();

  // The MPP moves traffic fines from the Kejaksaan to the Pengadilan Negeri.
  const file = path.join(configDir, 'services.json');
  const catalogue = JSON.parse(readFileSync(file, 'utf8'));
  catalogue.services.find((s: { code: string }) => s.code === 'KEJARI_TILANG').agency = 'pengadilan-negeri';
  writeFileSync(file, JSON.stringify(catalogue, null, 2));
  await th.hub.close();
  await th.restart();

  const dry = await call('POST', '/v1/replay', admin, { from: 'route', dryRun: true, filter: { service: 'KEJARI_TILANG' } });
  t.equal(dry.status, 200);
  t.same(dry.body, { dryRun: true, from: 'route', matched: 3, byStatus: { routed: 3 }, moves: [{ from: 'kab:kejari', to: 'kab:pengadilan-negeri', count: 3 }], unchanged: 0, redelivered: 0 });
  const cli = await runCli(th, ['replay', '--from', 'route', '--service', 'KEJARI_TILANG']);
  t.equal(cli.code, 0, cli.stderr);
  t.match(cli.stdout, /would replay 3 registration\(s\) from route: routed=3\n\s+3 would move: kab:kejari -> kab:pengadilan-negeri/);
  t.match(cli.stdout, /dry run: nothing changed/);
  t.same(await queues(), before, 'dry runs change nothing');

  const real = await call('POST', '/v1/replay', admin, { from: 'route', filter: { service: 'KEJARI_TILANG' } });
  t.match(real.body, { dryRun: false, matched: 3, moves: [{ count: 3 }] });
  await routed(5);
  t.same(await queues(), [
    { service_code: 'KEJARI_TILANG', agency_code: 'pengadilan-negeri', status: 'waiting', n: 3 },
    ...before.filter((q) => q.service_code === 'KTP_EL_BARU'),
  ]);
  const [reg] = await rows<{ route_agency: string }>(db(), sql`select distinct route_agency from registrations where service_code = 'KEJARI_TILANG'`);
  t.equal(reg!.route_agency, 'pengadilan-negeri');

  // Replaying what did not move changes no queue item: the agency does not get its registrations twice.
  const same = await call('POST', '/v1/replay', admin, { from: 'identify', filter: { service: 'KTP_EL_BARU', village: '18.12.01.2002' } });
  t.match(same.body, { matched: 2, moves: [], unchanged: 2, redelivered: 0 });
  await routed(5);
  t.same(await queues(), [
    { service_code: 'KEJARI_TILANG', agency_code: 'pengadilan-negeri', status: 'waiting', n: 3 },
    ...before.filter((q) => q.service_code === 'KTP_EL_BARU'),
  ], 'identified and routed again, queue items as they were');
  // Unless the admin asks for redelivery: the acknowledged item waits to be claimed again.
  const again = await call('POST', '/v1/replay', admin, { from: 'route', redeliver: true, filter: { service: 'KTP_EL_BARU' } });
  t.match(again.body, { matched: 2, unchanged: 2, redelivered: 2 });
  await routed(5);
  t.same((await queues()).filter((q) => q.service_code === 'KTP_EL_BARU'), [{ service_code: 'KTP_EL_BARU', agency_code: 'disdukcapil', status: 'waiting', n: 2 }]);

  t.match((await call('POST', '/v1/replay', admin, { from: 'route', dryRun: true, filter: { errorCode: 'NO_SUCH_CODE' } })).body, { matched: 0 });
  t.match(await call('POST', '/v1/replay', admin, { from: 'route', filter: { service: 'NOPE' } }), { status: 400, body: { code: 'SERVICE_UNKNOWN' } });
  t.match(await call('POST', '/v1/replay', village, { from: 'route' }), { status: 403 });
  const [audit] = await rows<{ n: number }>(db(), sql`select count(*)::int as n from audit_log where action = 'replay'`);
  t.equal(audit!.n, 3, 'each replay audited (dry runs change nothing and are not)');
});
