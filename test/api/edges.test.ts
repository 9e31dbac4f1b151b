import t from 'tap';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';

// What integrators run into first: empty bodies, defaults, lookups by their own ids.
const th = await startTestHub(t);
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const otherVillageKey = await th.key('village', { villageCode: MULYA_JAYA_05 });
const kecamatanKey = await th.key('kecamatan', { kecamatanCode: '181201' });
const agencyKey = await th.key('agency', { agencyCode: 'disdukcapil' });

async function call(method: string, p: string, key: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${th.url}${p}`, { method, headers: { authorization: `Bearer ${key}`, ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}
const json = { 'content-type': 'application/json' };

const sent = await call('POST', '/v1/registrations', villageKey, JSON.stringify({ externalId: 'SIAK-2026/0042', service: 'KTP_EL_BARU', applicant: applicant(1) }), json);
const registrationId = sent.body.records[0].id as number;

t.test('a registration is found by the village system\'s own externalId, within the key\'s villages only', async (t) => {
  const own = await call('GET', `/v1/registrations?externalId=${encodeURIComponent('SIAK-2026/0042')}`, villageKey);
  t.equal(own.status, 200);
  t.match(own.body, { id: registrationId, externalId: 'SIAK-2026/0042', service: 'KTP_EL_BARU', villageCode: PANARAGAN });
  const kec = await call('GET', `/v1/registrations?externalId=SIAK-2026%2F0042&village=18.12.01.2002`, kecamatanKey);
  t.equal(kec.body.id, registrationId);
  const other = await call('GET', '/v1/registrations?externalId=SIAK-2026%2F0042', otherVillageKey);
  t.equal(other.status, 404, 'another village\'s externalId space is its own');
  t.same(other.body.message, { id: 'Pendaftaran dengan externalId "SIAK-2026/0042" tidak ditemukan.', en: 'Registration with externalId "SIAK-2026/0042" not found.' });
  t.equal((await call('GET', '/v1/registrations', villageKey)).status, 400, 'externalId is required');
});

t.test('claim without a body takes the default max; ack with an empty JSON body is accepted', async (t) => {
  await eventually(async () => (await call('GET', '/v1/agencies/disdukcapil/items', agencyKey)).body.items.length > 0);
  const noBody = await call('POST', '/v1/agencies/disdukcapil/items/claim', agencyKey);
  t.equal(noBody.status, 200, 'no body, no content type');
  t.equal(noBody.body.items.length, 1);
  const emptyJson = await call('POST', '/v1/agencies/disdukcapil/items/claim', agencyKey, '', json);
  t.equal(emptyJson.status, 200, 'Content-Type: application/json with an empty body');
  const item = noBody.body.items[0];
  const ack = await call('POST', `/v1/agencies/disdukcapil/items/${item.id}/ack`, agencyKey, '', json);
  t.match(ack, { status: 200, body: { status: 'acked' } });
  const ackObject = await call('POST', `/v1/agencies/disdukcapil/items/${item.id}/ack`, agencyKey, '{}', json);
  t.match(ackObject, { status: 200, body: { status: 'acked' } });
  const broken = await call('POST', '/v1/agencies/disdukcapil/items/claim', agencyKey, '{"max": ', json);
  t.match(broken, { status: 400, body: { code: 'BODY_INVALID_JSON' } }, 'malformed JSON is still refused');
});

t.test('without CORS_ORIGINS a browser gets no CORS answer', async (t) => {
  const res = await fetch(`${th.url}/v1/residents?limit=1`, { headers: { authorization: `Bearer ${villageKey}`, origin: 'https://any.example' } });
  t.equal(res.status, 200);
  t.equal(res.headers.get('access-control-allow-origin'), null);
});
