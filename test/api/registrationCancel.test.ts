import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';
import { holdIdentifyLock } from '../helpers/pipeline.js';

const th = await startTestHub(t);
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const otherVillageKey = await th.key('village', { villageCode: MULYA_JAYA_05 });
const agencyKey = await th.key('agency', { agencyCode: 'disdukcapil' });
const db = th.hub.database.db;

async function call(method: string, path: string, key: string | null, body?: unknown) {
  const res = await fetch(`${th.url}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null };
}

interface Item { id: number; registrationId: number; status: string; cancelledAt: string | null }
const cancel = (externalIds: string[], key = villageKey, reason = 'pemohon membatalkan') =>
  call('POST', '/v1/registrations/cancel', key, { externalIds, reason });
const items = async (query: string): Promise<Item[]> => (await call('GET', `/v1/agencies/disdukcapil/items?limit=1000&${query}`, agencyKey)).body.items;
const delivery = async (registrationId: number) =>
  (await rows<{ id: number; status: string; cancelled_at: string | null }>(db, sql`select id, status, cancelled_at from deliveries where registration_id = ${registrationId}`))[0];

/** Pushes one KTP registration and waits until it waits in the disdukcapil queue. */
async function pushRouted(externalId: string, i: number): Promise<number> {
  const res = await call('POST', '/v1/registrations', villageKey, { externalId, service: 'KTP_EL_BARU', applicant: applicant(i) });
  if (res.status !== 202) throw new Error(`push failed: ${JSON.stringify(res.body)}`);
  const id = res.body.records[0].id as number;
  await eventually(async () => (await delivery(id))?.status === 'waiting');
  return id;
}

/** Claims every waiting item of disdukcapil; answers the one of the registration. */
async function claim(registrationId: number): Promise<Item> {
  const res = await call('POST', '/v1/agencies/disdukcapil/items/claim', agencyKey, { max: 500 });
  const item = (res.body.items as Item[]).find((i) => i.registrationId === registrationId);
  if (!item) throw new Error(`registration ${registrationId} not claimed: ${JSON.stringify(res.body)}`);
  return item;
}

t.test('a registration cancelled after the agency claimed it stays with the agency, marked cancelled; the registration is cancelled and audited', async (t) => {
  const id = await pushRouted('after-claim', 1);
  const item = await claim(id);
  t.equal(item.cancelledAt, null, 'not cancelled when claimed');

  const res = await cancel(['after-claim'], villageKey, 'pemohon pindah domisili');
  t.equal(res.status, 200);
  t.same(res.body, { records: [{ externalId: 'after-claim', id, status: 'cancelled', afterClaim: true }] });
  t.equal((await call('GET', `/v1/registrations/${id}`, villageKey)).body.status, 'cancelled');
  const d = await delivery(id);
  t.equal(d!.status, 'claimed', 'the item keeps its status');
  t.ok(d!.cancelled_at, 'and is marked cancelled');

  const claimedList = (await items('status=claimed')).find((i) => i.id === item.id);
  t.match(claimedList, { status: 'claimed', cancelledAt: /^\d{4}-\d\d-\d\dT.*Z$/ }, 'the agency sees it in its claimed list');
  const cancelledList = await items('status=cancelled');
  t.same(cancelledList.map((i) => i.id), [item.id], '?status=cancelled lists it');
  t.equal(cancelledList[0]!.cancelledAt, claimedList!.cancelledAt);

  const [audit] = await rows<{ actor: string; target_id: string; region_code: string; detail: Record<string, unknown> }>(db, sql`
    select actor, target_id, region_code, detail from audit_log where action = 'registration.cancel'`);
  t.match(audit, {
    actor: /^village:/, target_id: String(id), region_code: PANARAGAN,
    detail: { externalId: 'after-claim', reason: 'pemohon pindah domisili', afterClaim: true, deliveryId: item.id, deliveryStatus: 'claimed', keyId: Number },
  });

  const ack = await call('POST', `/v1/agencies/disdukcapil/items/${item.id}/ack`, agencyKey);
  t.match(ack, { status: 200, body: { id: item.id, status: 'acked', cancelledAt: claimedList!.cancelledAt } }, 'a cancelled item can still be acknowledged');
  t.same((await items('status=cancelled')).map((i) => [i.id, i.status]), [[item.id, 'acked']], 'and stays listed as cancelled');
});

t.test('an acknowledged registration cancelled later is marked too', async (t) => {
  const id = await pushRouted('after-ack', 2);
  const item = await claim(id);
  t.equal((await call('POST', `/v1/agencies/disdukcapil/items/${item.id}/ack`, agencyKey)).body.cancelledAt, null);
  t.same((await cancel(['after-ack'])).body.records, [{ externalId: 'after-ack', id, status: 'cancelled', afterClaim: true }]);
  t.match(await delivery(id), { status: 'acked', cancelled_at: String });
  t.ok((await items('status=acked')).find((i) => i.id === item.id)!.cancelledAt);
});

t.test('a waiting item is withdrawn; a registration still in the pipeline is cancelled and never routed', async (t) => {
  const waitingId = await pushRouted('waiting', 3);
  // Identify held at its lock: the push is stored and answered, and waits in the pipeline (in this
  // process's batcher: a single push has no queue job to pause).
  const release = await holdIdentifyLock(th.db.url);
  const res = await call('POST', '/v1/registrations', villageKey, { externalId: 'in-pipeline', service: 'KTP_EL_BARU', applicant: applicant(4) });
  const pipelineId = res.body.records[0].id as number;
  t.equal((await call('GET', `/v1/registrations/${pipelineId}`, villageKey)).body.status, 'validated');

  const answer = await cancel(['waiting', 'in-pipeline']);
  t.same(answer.body.records, [
    { externalId: 'waiting', id: waitingId, status: 'cancelled' },
    { externalId: 'in-pipeline', id: pipelineId, status: 'cancelled' },
  ], 'no afterClaim: no agency had them');
  t.match(await delivery(waitingId), { status: 'withdrawn', cancelled_at: null });
  t.notOk((await items('status=waiting')).some((i) => i.registrationId === waitingId), 'no longer waiting in the queue');
  t.notOk((await items('status=cancelled')).some((i) => i.registrationId === waitingId), 'a withdrawn item is not the agency\'s to see');

  await release();
  // A registration pushed after the cancelled one is routed: the stage has run over the cancelled one too.
  const laterId = await pushRouted('after-resume', 5);
  t.ok(laterId);
  t.equal((await call('GET', `/v1/registrations/${pipelineId}`, villageKey)).body.status, 'cancelled', 'the pipeline leaves it cancelled');
  t.equal(await delivery(pipelineId), undefined, 'and never routes it');
  const audit = await rows<{ target_id: string; detail: { afterClaim: boolean } }>(db, sql`
    select target_id, detail from audit_log where action = 'registration.cancel' and target_id in (${String(waitingId)}, ${String(pipelineId)}) order by id`);
  t.same(audit.map((a) => [a.target_id, a.detail.afterClaim]), [[String(waitingId), false], [String(pipelineId), false]]);
});

t.test('cancelling again changes nothing; unknown ids and other villages\' ids are not found', async (t) => {
  const auditBefore = (await rows<{ n: number }>(db, sql`select count(*)::int as n from audit_log where action = 'registration.cancel'`))[0]!.n;
  const regs = new Map((await rows<{ id: number; external_id: string }>(db, sql`select id, external_id from registrations`)).map((r) => [r.external_id, r.id]));
  const res = await cancel(['after-claim', 'waiting', 'nope', 'after-claim']);
  t.equal(res.status, 200);
  t.same(res.body.records, [
    { externalId: 'after-claim', id: regs.get('after-claim'), status: 'already-cancelled' },
    { externalId: 'waiting', id: regs.get('waiting'), status: 'already-cancelled' },
    { externalId: 'nope', id: null, status: 'not-found' },
  ], 'one answer per id');
  t.equal((await rows<{ n: number }>(db, sql`select count(*)::int as n from audit_log where action = 'registration.cancel'`))[0]!.n, auditBefore, 'no audit row for a repeat');

  const other = await cancel(['after-resume'], otherVillageKey);
  t.same(other.body.records, [{ externalId: 'after-resume', id: null, status: 'not-found' }], 'another village cannot cancel it');
  t.equal((await call('GET', `/v1/registrations/${regs.get('after-resume')}`, villageKey)).body.status, 'routed', 'and it is untouched');
});

t.test('a claimed item whose lease ran out is leased again, unless the village cancelled it', async (t) => {
  const keptId = await pushRouted('lease-kept', 6);
  const cancelledId = await pushRouted('lease-cancelled', 7);
  const kept = await claim(keptId);
  const gone = (await items('status=claimed')).find((i) => i.registrationId === cancelledId)!;
  t.ok(gone, 'both leased by the same claim');
  t.same((await cancel(['lease-cancelled'])).body.records[0].afterClaim, true);
  await db.execute(sql`update deliveries set lease_until = now() - interval '1 second' where id in (${kept.id}, ${gone.id})`);
  const again = await call('POST', '/v1/agencies/disdukcapil/items/claim', agencyKey, { max: 500 });
  const ids = (again.body.items as Item[]).map((i) => i.id);
  t.ok(ids.includes(kept.id), 'the item whose lease ran out is leased again');
  t.notOk(ids.includes(gone.id), 'the cancelled one is not');
  t.match(await delivery(cancelledId), { status: 'claimed', cancelled_at: String });
});

t.test('a bad cancel request gets its code, field and message in both languages, and changes nothing', async (t) => {
  const before = await rows<{ id: number; status: string }>(db, sql`select id, status from registrations order by id`);
  const post = (body: unknown, key: string | null = villageKey) => call('POST', '/v1/registrations/cancel', key, body);
  const valid = { externalIds: ['lease-kept'], reason: 'salah input' };
  const noKey = await post(valid, null);
  t.match(noKey, { status: 401, body: { code: 'AUTH_MISSING' } });
  t.match(await post({}, null), { status: 401, body: { code: 'AUTH_MISSING' } }, 'the key is checked before the body');
  t.match(await post(valid, agencyKey), { status: 403, body: { code: 'AUTH_FORBIDDEN' } });
  t.match(await post(valid, await th.key('admin')), { status: 403, body: { code: 'AUTH_FORBIDDEN' } }, 'an admin key names no village');
  const missing = await post({ externalIds: ['lease-kept'] });
  t.match(missing, { status: 400, body: { code: 'FIELD_REQUIRED', field: 'reason', message: { id: /wajib/, en: /required/ } } });
  t.match(missing.type, /application\/problem\+json/);
  t.match(await post({ reason: 'x' }), { status: 400, body: { code: 'FIELD_REQUIRED', field: 'externalIds' } });
  t.match(await post({ ...valid, reason: '' }), { status: 400, body: { code: 'FIELD_EMPTY', field: 'reason' } });
  t.match(await post({ ...valid, reason: '   ' }), { status: 400, body: { code: 'FIELD_EMPTY', field: 'reason' } });
  t.match(await post({ ...valid, reason: 'x'.repeat(501) }), { status: 400, body: { code: 'FIELD_TOO_LONG', field: 'reason', message: { id: /500/, en: /500/ } } });
  t.match(await post({ ...valid, reason: 7 }), { status: 400, body: { code: 'FIELD_TYPE', field: 'reason' } });
  t.match(await post({ ...valid, externalIds: [] }), { status: 400, body: { code: 'FIELD_EMPTY', field: 'externalIds', message: { id: String, en: String } } });
  t.match(await post({ ...valid, externalIds: 'lease-kept' }), { status: 400, body: { code: 'FIELD_TYPE', field: 'externalIds' } });
  t.match(await post({ ...valid, externalIds: ['ok', 12] }), { status: 400, body: { code: 'FIELD_TYPE', field: 'externalIds.1' } });
  t.match(await post({ ...valid, externalIds: [''] }), { status: 400, body: { code: 'FIELD_EMPTY', field: 'externalIds.0' } });
  t.match(await post({ ...valid, externalIds: ['x'.repeat(65)] }), { status: 400, body: { code: 'FIELD_TOO_LONG', field: 'externalIds.0' } });
  t.match(await post({ ...valid, note: 1 }), { status: 400, body: { code: 'FIELD_UNKNOWN', field: 'note' } });
  t.match(await post({ ...valid, externalIds: Array.from({ length: 1001 }, (_, i) => `m-${i}`) }),
    { status: 413, body: { code: 'BATCH_TOO_LARGE', field: 'externalIds', message: { id: /1000/, en: /1000/ } } });
  t.match(await post('{"externalIds": ['), { status: 400, body: { code: 'BODY_INVALID_JSON' } });
  t.same(await rows<{ id: number; status: string }>(db, sql`select id, status from registrations order by id`), before, 'nothing cancelled');
});

t.test('1,000 ids in one request are answered in one transaction', async (t) => {
  const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
  const res = await call('POST', '/v1/registrations', villageKey, {
    registrations: ids.slice(0, 500).map((externalId, i) => ({ externalId, service: 'KTP_EL_BARU', applicant: applicant(100 + i) })),
  });
  t.equal(res.status, 202);
  const answer = await cancel(ids);
  t.equal(answer.status, 200);
  t.equal(answer.body.records.length, 1000);
  t.equal(answer.body.records.filter((r: { status: string }) => r.status === 'cancelled').length, 500);
  t.equal(answer.body.records.filter((r: { status: string }) => r.status === 'not-found').length, 500);
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where external_id like 'bulk-%' and status = 'cancelled'`);
  t.equal(n!.n, 500);
  await new Promise((r) => setTimeout(r, 500));
  const [routed] = await rows<{ n: number }>(db, sql`select count(*)::int as n from deliveries d join registrations r on r.id = d.registration_id
    where r.external_id like 'bulk-%' and d.status <> 'withdrawn'`);
  t.equal(routed!.n, 0, 'none of them is waiting for an agency');
});
