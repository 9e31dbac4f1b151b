import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { restJsonConnector, type RestJsonSettings } from '../../src/connectors/restJson.js';
import { checkedSettings, publicSettings } from '../../src/connectors/settings.js';
import type { SessionStore } from '../../src/connectors/sessions.js';
import type { RequestBudget } from '../../src/connectors/requestBudget.js';

/** A REST source sends its own static token and never logs in: any use of the session store fails the test. */
const never = (): never => { throw new Error('a rest-json source must not use login sessions or an account budget'); };
const sessions: SessionStore = { current: never, renew: never };
const budget: RequestBudget = { take: never, pause: never };
const env = { sessions, budget };

const people = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, nama: `Warga ${i + 1}`, jk: i % 2 ? 'P' : 'L', lahir: { tgl: '1990-01-02' }, desa: '18.12.01.2002' }));
const server = http.createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x');
  if (req.headers.authorization !== 'Bearer s3cret') { res.writeHead(401).end(); return; }
  const page = Number(u.searchParams.get('hal'));
  const size = Number(u.searchParams.get('n'));
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hasil: { items: people.slice((page - 1) * size, page * size) } }));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
t.teardown(() => server.close());
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/warga`;
const source = { id: 'rest', villageCode: '1812012002', kecamatanCode: '181201', connector: 'rest-json', enabled: true, settings: {} };
const raw = {
  url, token: 's3cret', recordsPath: 'hasil.items', pageParam: 'hal', sizeParam: 'n', pageSize: 10,
  mapping: { localId: 'id', fullName: 'nama', sex: 'jk', birthDate: 'lahir.tgl', villageCode: 'desa', statusDasar: { const: 1 } },
};

t.test('records are mapped field by field from config, page by page until a short page', async (t) => {
  const s = checkedSettings<RestJsonSettings>(restJsonConnector.settingsSchema, raw);
  const first = await restJsonConnector.fetchPage(source, s, { page: 1 }, env);
  t.equal(first.residents.length, 10);
  t.same(first.residents[1], { localId: '2', fullName: 'Warga 2', sex: 'P', birthDate: '1990-01-02', villageCode: '18.12.01.2002', statusDasar: 1 });
  t.same(first.next, { page: 2 });
  const last = await restJsonConnector.fetchPage(source, s, { page: 3 }, env);
  t.equal(last.residents.length, 5);
  t.equal(last.next, null);
});

t.test('the token is write-only: never in public settings; a wrong token is not retried', async (t) => {
  t.notOk('token' in publicSettings(restJsonConnector.settingsSchema, raw));
  const s = checkedSettings<RestJsonSettings>(restJsonConnector.settingsSchema, { ...raw, token: 'wrong' });
  await t.rejects(restJsonConnector.fetchPage(source, s, { page: 1 }, env), { name: 'Error', code: 'UNAUTHORIZED', retryable: false });
  t.throws(() => checkedSettings(restJsonConnector.settingsSchema, { ...raw, mapping: { localId: 'id', fullName: 'nama', shoeSize: 'x' } }), /SETTINGS_INVALID/);
});
