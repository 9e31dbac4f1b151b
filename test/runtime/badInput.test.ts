import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { createKey } from '../../src/api/keys.js';
import { startTestHub } from '../helpers/hub.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';

const th = await startTestHub(t, { workers: false });
const db = th.hub.database.db;
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const call = async (path: string, body: string, headers: Record<string, string> = {}, key = villageKey) => {
  const res = await fetch(`${th.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
};

t.test('NUL and lone surrogates anywhere in a batch: accepted and stored clean, never a 500', async (t) => {
  const a = applicant(1, { fullName: 'Siti\u0000 Aminah\ud800', address: 'Jl. \udc00Merdeka' });
  const res = await call('/v1/registrations', JSON.stringify({ registrations: [
    { externalId: 'nul-1', service: 'KTP_EL_BARU', applicant: a, details: { 'cat\u0000atan': 'hilang\ud800' } },
  ] }));
  t.equal(res.status, 202);
  t.equal(res.body.records[0].status, 'accepted');
  const [stored] = await rows<{ name: string; payload: string }>(db, sql`
    select r.applicant->>'fullName' as name, i.payload::text as payload from registrations r join inbox i on i.id = r.inbox_id where r.external_id = 'nul-1'`);
  t.equal(stored?.name, 'Siti Aminah\ufffd', 'NUL dropped, the lone surrogate replaced');
  t.notMatch(stored?.payload ?? '', /\\u0000/, 'the raw payload is kept without NUL');
});

t.test('deep nesting is refused with 400, not a stack overflow', async (t) => {
  const deep = `{"externalId":"deep","service":"KTP_EL_BARU","applicant":{},"details":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
  const res = await call('/v1/registrations', deep);
  t.equal(res.status, 400);
  t.match(res.body, { code: 'BODY_TOO_DEEP', message: { id: String, en: String } });
  const arrays = await call('/v1/registrations', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  t.equal(arrays.status, 400);
});

t.test('a text/plain body gets 415', async (t) => {
  const res = await call('/v1/registrations', '{"registrations":[]}', { 'content-type': 'text/plain' });
  t.equal(res.status, 415);
  t.match(res.body, { code: 'MEDIA_TYPE_UNSUPPORTED', message: { id: String, en: String } });
});

t.test('a village key posting a resident of another village: refused per record, and no quarantine row', async (t) => {
  const a = applicant(2);
  const res = await call('/v1/residents', JSON.stringify({ residents: [
    { localId: 'own-1', fullName: a.fullName, nik: a.nik, birthDate: a.birthDate, sex: '2' },
    { localId: 'other-1', villageCode: MULYA_JAYA_05, fullName: a.fullName, nik: a.nik, birthDate: a.birthDate, sex: '2' },
  ] }));
  t.equal(res.status, 202);
  t.match(res.body.records[1], { status: 'rejected', outcome: 'refused', errors: [{ code: 'VILLAGE_OUT_OF_SCOPE' }] });
  t.notOk(res.body.records[1].quarantineId);
  const [q] = await rows<{ n: number }>(db, sql`select count(*)::int as n from quarantine where external_id = 'other-1'`);
  t.equal(q?.n, 0, 'nothing filed without a village');
});

t.test('five concurrent requests with one Idempotency-Key: one stored, none 500', async (t) => {
  const body = JSON.stringify({ registrations: [{ externalId: 'idem-1', service: 'KTP_EL_BARU', applicant: applicant(3) }] });
  const answers = await Promise.all(Array.from({ length: 5 }, () => call('/v1/registrations', body, { 'idempotency-key': 'same-key-1' })));
  t.same(answers.filter((a) => a.status >= 500), [], 'no 5xx');
  t.ok(answers.every((a) => a.status === 202 || a.status === 409), answers.map((a) => a.status).join(','));
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from inbox where idempotency_key = 'same-key-1'`);
  t.equal(n?.n, 1);
  const other = await call('/v1/registrations', JSON.stringify({ registrations: [{ externalId: 'idem-2', service: 'KTP_EL_BARU', applicant: applicant(4) }] }), { 'idempotency-key': 'same-key-1' });
  t.equal(other.status, 422);
  t.match(other.body, { code: 'IDEMPOTENCY_KEY_REUSED' });
});

t.test('keys can be revoked by an admin over HTTP and can expire', async (t) => {
  const admin = await th.key('admin');
  const doomed = await createKey(db, { role: 'village', villageCode: PANARAGAN });
  const body = JSON.stringify({ registrations: [{ externalId: 'rev-1', service: 'KTP_EL_BARU', applicant: applicant(5) }] });
  t.equal((await call('/v1/registrations', body, {}, doomed.secret)).status, 202, 'works before');
  const revoked = await call(`/v1/admin/keys/${doomed.id}/revoke`, '{}', {}, admin);
  t.equal(revoked.status, 200);
  t.match(revoked.body, { id: doomed.id, revokedAt: String });
  const after = await call('/v1/registrations', body, {}, doomed.secret);
  t.equal(after.status, 401, 'refused at once by the hub that revoked it');
  t.equal((await call(`/v1/admin/keys/${doomed.id}/revoke`, '{}', {}, villageKey)).status, 403, 'only an admin revokes');
  t.equal((await call('/v1/admin/keys/999999/revoke', '{}', {}, admin)).status, 404);
  const expired = await createKey(db, { role: 'village', villageCode: PANARAGAN, expiresAt: new Date(Date.now() - 1000) });
  t.equal((await call('/v1/registrations', body, {}, expired.secret)).status, 401, 'an expired key is refused');
});
