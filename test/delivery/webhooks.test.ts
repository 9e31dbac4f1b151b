import t from 'tap';
import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';
import { startReceiver } from './receiver.js';

// Retries 50 ms apart and doubling; parked after 4 s of failures; a receiver silent for 1 s has timed out.
const th = await startTestHub(t, {}, { WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_GIVE_UP_HOURS: '0.0011' });
const db = th.hub.database.db;
const admin = await th.key('admin');
const village = await th.key('village', { villageCode: PANARAGAN });
const kejari = await th.key('agency', { agencyCode: 'kejari' });

async function call(method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${th.url}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

let serial = 0;
/** Registrations for a service, routed; their delivery ids. */
async function submit(service: string, n: number): Promise<number[]> {
  const list = Array.from({ length: n }, () => {
    serial++;
    return { externalId: `wh-${serial}`, service, applicant: applicant(serial, { villageCode: PANARAGAN }) };
  });
  const res = await call('POST', '/v1/registrations', village, { registrations: list });
  t.equal(res.status, 202);
  const ids: number[] = res.body.records.map((r: { id: number }) => r.id);
  return eventually(async () => {
    const d = await rows<{ id: number }>(db, sql`select d.id from deliveries d where d.registration_id = any(${sql.param(ids)}::int[]) order by d.id`);
    return d.length === n ? d.map((x) => x.id) : null;
  });
}
const state = async (id: number) => (await rows<{ status: string; push_state: string | null; push_attempts: number; answer_status: string | null }>(db, sql`
  select status, push_state, push_attempts, answer_status from deliveries where id = ${id}`))[0]!;

t.test('the admin sets an endpoint; items are pushed signed per Standard Webhooks and a 2xx acknowledges them', async (t) => {
  const rx = await startReceiver(() => ({ status: 204 }));
  t.teardown(() => rx.close());
  const set = await call('PUT', '/v1/webhooks/agencies/disdukcapil', admin, { url: rx.url });
  t.equal(set.status, 201);
  t.match(set.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  t.equal(Buffer.from(set.body.secret.slice(6), 'base64').length, 32, 'a 256-bit key');
  const again = await call('PUT', '/v1/webhooks/agencies/disdukcapil', admin, { url: rx.url, maxInFlight: 8 });
  t.equal(again.status, 200, 'setting it again changes it');
  t.equal(again.body.secret, set.body.secret, 'and keeps its secret');

  const [id] = await submit('KTP_EL_BARU', 1);
  await eventually(async () => (await state(id!)).push_state === 'delivered');
  t.match(await state(id!), { status: 'acked', push_attempts: 1 });
  t.equal(rx.received.length, 1);
  const r = rx.received[0]!;
  // An independent verifier: the standardwebhooks reference library.
  const payload = new Webhook(set.body.secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
  t.equal(payload.type, 'registration.routed');
  t.match(payload.data, { id, service: 'KTP_EL_BARU', agency: 'disdukcapil', villageCode: PANARAGAN, applicant: { fullName: String }, dueAt: String });
  t.equal(r.headers['webhook-id'], `dlv_${id}`);
  t.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(r.body, r.headers as Record<string, string>), 'another secret does not verify');

  const attempts = await call('GET', `/v1/webhooks/${set.body.endpoint.id}/attempts`, admin);
  t.match(attempts.body.attempts[0], { deliveryId: id, outcome: 'delivered', responseCode: 204, latencyMs: Number, error: null });
  t.notOk('body' in attempts.body.attempts[0], 'no body kept');

  // Rotation: both secrets sign during the grace period, so the receiver may switch at leisure.
  const rotated = await call('POST', `/v1/webhooks/${set.body.endpoint.id}/rotate`, admin, { graceHours: 1 });
  t.equal(rotated.status, 200);
  t.not(rotated.body.secret, set.body.secret);
  t.ok(rotated.body.endpoint.previousSecretValidUntil);
  await new Promise((r) => setTimeout(r, 2100)); // the dispatcher reads endpoints every 2 s
  const [id2] = await submit('KTP_EL_BARU', 1);
  await eventually(async () => (await state(id2!)).push_state === 'delivered');
  const r2 = rx.received.at(-1)!;
  t.equal(String(r2.headers['webhook-signature']).split(' ').length, 2, 'two signatures');
  t.ok(new Webhook(rotated.body.secret).verify(r2.body, r2.headers as Record<string, string>), 'new secret verifies');
  t.ok(new Webhook(set.body.secret).verify(r2.body, r2.headers as Record<string, string>), 'old secret still verifies');
  // And by hand, as a receiver without the library would check it.
  const [, sig] = String(r2.headers['webhook-signature']).split(' ')[0]!.split(',');
  const mac = createHmac('sha256', Buffer.from(rotated.body.secret.slice(6), 'base64'))
    .update(`${r2.headers['webhook-id']}.${r2.headers['webhook-timestamp']}.${r2.body}`).digest('base64');
  t.equal(sig, mac);
  await call('DELETE', `/v1/webhooks/${set.body.endpoint.id}`, admin);
});

t.test('a receiver that fails five times gets the item again after each failure, then it is delivered once', async (t) => {
  const rx = await startReceiver((_r, n) => ({ status: n <= 5 ? 500 : 200 }));
  t.teardown(() => rx.close());
  const set = await call('PUT', '/v1/webhooks/agencies/pdam', admin, { url: rx.url });
  const [id] = await submit('PDAM_SAMBUNGAN_BARU', 1);
  await eventually(async () => (await state(id!)).push_state === 'delivered', 20_000);
  t.equal(rx.received.length, 6, 'five failures and the success');
  t.same(new Set(rx.received.map((r) => r.headers['webhook-id'])), new Set([`dlv_${id}`]), 'one webhook-id: the receiver can drop repeats');
  const gaps = rx.received.slice(1).map((r, i) => r.at - rx.received[i]!.at);
  t.ok(gaps[4]! > gaps[0]!, `backoff grows (${gaps.join(', ')} ms)`);
  const attempts = await call('GET', `/v1/webhooks/${set.body.endpoint.id}/attempts?deliveryId=${id}`, admin);
  t.same(attempts.body.attempts.map((a: { responseCode: number }) => a.responseCode).reverse(), [500, 500, 500, 500, 500, 200]);
  t.same(attempts.body.attempts.map((a: { error: string | null }) => a.error).reverse(), ['HTTP_500', 'HTTP_500', 'HTTP_500', 'HTTP_500', 'HTTP_500', null]);
  t.match(await state(id!), { status: 'acked', push_attempts: 6 });
});

t.test('a receiver that hangs does not slow another agency', async (t) => {
  const dead = await startReceiver(() => 'hang');
  const fast = await startReceiver(() => ({ status: 200 }));
  t.teardown(async () => { await dead.close(); await fast.close(); });
  await call('PUT', '/v1/webhooks/agencies/bank-lampung', admin, { url: dead.url, maxInFlight: 4 });
  await call('PUT', '/v1/webhooks/agencies/kejari', admin, { url: fast.url });
  const stuck = await submit('BANK_LAMPUNG_PEMBUKAAN_REKENING', 30);
  await eventually(async () => dead.received.length >= 4);
  const firstAt = dead.received[0]!.at;
  const started = Date.now();
  const ok = await submit('KEJARI_TILANG', 30);
  await eventually(async () => {
    const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from deliveries where id = any(${sql.param(ok)}::int[]) and push_state = 'delivered'`);
    return n!.n === ok.length;
  });
  const took = Date.now() - started;
  t.ok(took < 5000, `the other agency's 30 items delivered in ${took} ms while the dead endpoint hangs`);
  // Four lanes, each taken again only after its request timed out (1 s).
  const allowed = 4 * (Math.ceil((Date.now() - firstAt) / 1000) + 1);
  t.ok(dead.received.length <= allowed, `the dead endpoint holds only its own 4 lanes (${dead.received.length} requests, at most ${allowed})`);
  const timeouts = await eventually(async () => (await rows<{ n: number }>(db, sql`
    select count(*)::int as n from webhook_attempts where delivery_id = any(${sql.param(stuck)}::int[]) and error = 'TIMEOUT'`))[0]!.n);
  t.ok(timeouts >= 1, 'hung requests time out and are recorded');
});

t.test('a day of failures parks the item as failed; the admin sees it and redelivers', async (t) => {
  let up = false;
  const rx = await startReceiver(() => ({ status: up ? 200 : 503 }));
  t.teardown(() => rx.close());
  const set = await call('PUT', '/v1/webhooks/agencies/pengadilan-negeri', admin, { url: rx.url });
  const [id] = await submit('SK_TIDAK_PERNAH_DIPIDANA', 1);
  await eventually(async () => (await state(id!)).push_state === 'failed', 20_000);
  const failed = await call('GET', '/v1/webhooks/failed?agency=pengadilan-negeri', admin);
  t.match(failed.body.items, [{ id, endpointId: set.body.endpoint.id, lastError: 'HTTP_503', service: 'SK_TIDAK_PERNAH_DIPIDANA' }]);
  const list = await call('GET', '/v1/webhooks', admin);
  t.match(list.body.endpoints.find((e: { id: number }) => e.id === set.body.endpoint.id), { items: { failed: 1 } });
  t.notOk(JSON.stringify(list.body).includes('whsec_'), 'no secret in the listing');
  // A parked item may also be pulled by the agency as a fallback; here the admin pushes it again.
  up = true;
  const before = rx.received.length;
  const re = await call('POST', '/v1/webhooks/redeliver', admin, { agency: 'pengadilan-negeri' });
  t.same(re.body, { requeued: 1 });
  await eventually(async () => (await state(id!)).push_state === 'delivered');
  t.equal(rx.received.length, before + 1);
  t.equal(rx.received.at(-1)!.headers['webhook-id'], `dlv_${id}`, 'same webhook-id: the receiver never took it');
  // Redelivering a delivered item, asked by name, gives it a new webhook-id so the receiver takes it again.
  await call('POST', '/v1/webhooks/redeliver', admin, { deliveryIds: [id] });
  await eventually(async () => rx.received.length === before + 2);
  t.equal(rx.received.at(-1)!.headers['webhook-id'], `dlv_${id}_1`);
  const [audit] = await rows<{ n: number }>(db, sql`select count(*)::int as n from audit_log where action = 'webhook.redeliver'`);
  t.equal(audit!.n, 2, 'audited');
});

t.test('the agency answers: by API and in the webhook reply; the village sees progress, history and the feed', async (t) => {
  // kejari pushes to a receiver that answers "diterima" in its reply.
  const rx = await startReceiver(() => ({ status: 200, body: { status: 'diterima' } }));
  t.teardown(() => rx.close());
  await call('PUT', '/v1/webhooks/agencies/kejari', admin, { url: rx.url });
  const vhook = await startReceiver(() => ({ status: 200 }));
  t.teardown(() => vhook.close());
  const vset = await call('PUT', `/v1/webhooks/villages/${PANARAGAN}`, admin, { url: vhook.url });
  t.equal(vset.status, 201);
  const since = new Date(Date.now() - 1000).toISOString();
  const [id] = await submit('KEJARI_TILANG', 1);
  await eventually(async () => (await state(id!)).answer_status === 'diterima');
  const [reg] = await rows<{ registration_id: number }>(db, sql`select registration_id from deliveries where id = ${id}`);
  const regId = reg!.registration_id;

  const path = `/v1/agencies/kejari/items/${id}/status`;
  t.match((await call('POST', path, kejari, { status: 'diproses' })).body, { id, registrationId: regId, status: 'acked', answer: { status: 'diproses' }, changed: true });
  t.match((await call('POST', path, kejari, { status: 'diproses' })).body, { changed: false }, 'repeating changes nothing');
  t.match(await call('POST', path, kejari, { status: 'diterima' }), { status: 409, body: { code: 'ITEM_STATUS_BACKWARD' } });
  t.match(await call('POST', path, kejari, { status: 'ditolak' }), { status: 400, body: { code: 'FIELD_REQUIRED', field: 'reason' } });
  t.match(await call('POST', path, kejari, { status: 'diproses', documentNumber: 'X' }), { status: 400, body: { code: 'DOCUMENT_NUMBER_NOT_ALLOWED' } });
  t.match(await call('POST', path, kejari, { status: 'tamat' }), { status: 400 });
  t.match((await call('POST', path, kejari, { status: 'selesai', documentNumber: 'B-123/L.8.21/2026' })).body, { answer: { status: 'selesai', documentNumber: 'B-123/L.8.21/2026' } });
  t.match(await call('POST', path, kejari, { status: 'ditolak', reason: 'terlambat' }), { status: 409, body: { code: 'ITEM_ANSWER_FINAL' } });
  const other = await th.key('agency', { agencyCode: 'pdam' });
  t.match(await call('POST', path, other, { status: 'selesai' }), { status: 403 });

  const got = await call('GET', `/v1/registrations/${regId}`, village);
  t.match(got.body.progress, {
    agency: 'kejari', status: 'selesai', documentNumber: 'B-123/L.8.21/2026', delivery: { mode: 'push', pushState: 'delivered' },
    dueAt: String, overdue: false,
  });
  t.same(got.body.progress.history.map((h: { status: string; channel: string }) => [h.status, h.channel]),
    [['diterima', 'webhook'], ['diproses', 'api'], ['selesai', 'api']]);

  const feed = await call('GET', `/v1/registrations?updatedSince=${encodeURIComponent(since)}&limit=1000`, village);
  t.equal(feed.status, 200);
  const row = feed.body.registrations.find((r: { id: number }) => r.id === regId);
  t.match(row, { externalId: String, status: 'routed', progress: { status: 'selesai' } });
  const next = await call('GET', `/v1/registrations?updatedSince=${encodeURIComponent(feed.body.next.updatedSince)}&after=${feed.body.next.after}`, village);
  t.same(next.body.registrations, [], 'nothing new after the cursor');
  t.match(await call('GET', `/v1/registrations?village=18.12.05.2006&updatedSince=${encodeURIComponent(since)}`, village), { status: 403 });

  // The village system was told of each step, signed with its own secret.
  await eventually(async () => vhook.received.length === 3);
  const events = vhook.received.map((r) => new Webhook(vset.body.secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: { status: string; registrationId: number } });
  t.same(events.map((e) => e.data.status).sort(), ['diproses', 'diterima', 'selesai']);
  t.ok(events.every((e) => e.type === 'registration.progress' && e.data.registrationId === regId));
  t.notOk(vhook.received.some((r) => r.body.includes('fullName')), 'no applicant data in the village events');
});

t.test('an item past its service level is flagged', async (t) => {
  const rx = await startReceiver(() => ({ status: 200 }));
  t.teardown(() => rx.close());
  await call('PUT', '/v1/webhooks/agencies/kejari', admin, { url: rx.url });
  const [id] = await submit('KEJARI_TILANG', 1);
  await eventually(async () => (await state(id!)).push_state === 'delivered');
  // Routed ten days ago; the service level of KEJARI_TILANG is one working day.
  await db.execute(sql`update deliveries set created_at = now() - interval '10 days' where id = ${id}`);
  const [reg] = await rows<{ registration_id: number }>(db, sql`select registration_id from deliveries where id = ${id}`);
  const got = await call('GET', `/v1/registrations/${reg!.registration_id}`, village);
  t.match(got.body.progress, { overdue: true });
  const items = await call('GET', '/v1/agencies/kejari/items?status=acked&limit=1000', kejari);
  t.match(items.body.items.find((i: { id: number }) => i.id === id), { overdue: true, dueAt: String, pushState: 'delivered' }, 'the agency sees the flag too');
});
