import t from 'tap';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';
import { runCli } from '../connectors/opendk/fixtures/cli.js';

const th = await startTestHub(t);
const db = th.hub.database.db;
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const otherVillageKey = await th.key('village', { villageCode: MULYA_JAYA_05 });
const kecamatanKey = await th.key('kecamatan', { kecamatanCode: '181201' });

async function call(method: string, p: string, key: string, body?: unknown) {
  const res = await fetch(`${th.url}${p}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const qStatus = async (id: number) => (await rows<{ status: string }>(db, sql`select status from quarantine where id = ${id}`))[0]!.status;

function resident(i: number, extra: Record<string, unknown> = {}) {
  const a = applicant(i);
  return { localId: 700 + i, nik: a.nik, fullName: a.fullName, sex: a.sex, birthDate: a.birthDate, motherName: a.motherName, ...extra };
}

const pushed = await call('POST', '/v1/residents', villageKey, {
  residents: [resident(1, { birthDate: '1990-13-01' }), resident(2, { religion: 12 }), resident(3, { nik: '99' })],
});
const [badDate, badReligion, badNik] = pushed.body.records as { quarantineId: number }[];

t.test('quarantined records are listed with payload and errors; a village sees only its own', async (t) => {
  const own = await call('GET', '/v1/quarantine?kind=resident', villageKey);
  t.equal(own.status, 200);
  t.equal(own.body.total, 3);
  t.match(own.body.items[0], { id: badDate!.quarantineId, kind: 'resident', villageCode: PANARAGAN, externalId: '701', status: 'open', channel: 'push', payload: { localId: 701, birthDate: '1990-13-01' }, errors: [{ code: 'DATE_INVALID', field: 'birthDate' }] });
  const other = await call('GET', '/v1/quarantine', otherVillageKey);
  t.equal(other.body.total, 0);
  t.equal((await call('GET', '/v1/quarantine?village=18.12.01.2002', otherVillageKey)).status, 403);
  const kec = await call('GET', '/v1/quarantine?village=18.12.01.2002', kecamatanKey);
  t.equal(kec.body.total, 3, 'the kecamatan sees its villages');
  const audited = await rows<{ n: number }>(db, sql`select count(*)::int as n from audit_log where action = 'quarantine.read'`);
  t.equal(audited[0]!.n, 3, 'each successful read of raw payloads is audited');
});

t.test('a corrected record is replayed through intake; one still wrong is quarantined again, never dropped', async (t) => {
  const res = await call('POST', '/v1/quarantine/replay', villageKey, [
    { id: badDate!.quarantineId, payload: resident(1) },
    { id: badReligion!.quarantineId },
  ]);
  t.equal(res.status, 200);
  const [fixed, still] = res.body.records;
  t.match(fixed, { id: badDate!.quarantineId, kind: 'resident', status: 'accepted', outcome: 'created', recordId: Number });
  t.match(still, { id: badReligion!.quarantineId, status: 'rejected', quarantineId: badReligion!.quarantineId, errors: [{ code: 'CODE_UNKNOWN', field: 'religion' }] });
  t.equal(await qStatus(badDate!.quarantineId), 'replayed');
  t.equal(await qStatus(badReligion!.quarantineId), 'open', 'replayed unchanged and still wrong: it keeps waiting under its one entry');
  const changedButWrong = await call('POST', '/v1/quarantine/replay', villageKey, [{ id: badReligion!.quarantineId, payload: { ...resident(2), religion: 9 } }]);
  const moved = changedButWrong.body.records[0];
  t.not(moved.quarantineId, badReligion!.quarantineId, 'a corrected payload that is still wrong gets a new entry');
  t.equal(await qStatus(badReligion!.quarantineId), 'replayed');
  t.equal(await qStatus(moved.quarantineId), 'open', 'the record waits again under its new id');
  const [rec] = await rows<{ local_id: string; birth_date: string }>(db, sql`select local_id, to_char(birth_date, 'YYYY-MM-DD') as birth_date from resident_records where id = ${fixed.recordId}`);
  t.same(rec, { local_id: '701', birth_date: applicant(1).birthDate });
  const twice = await call('POST', '/v1/quarantine/replay', villageKey, [{ id: badDate!.quarantineId }]);
  t.match(twice.body.records[0], { status: 'refused', errors: [{ code: 'QUARANTINE_NOT_OPEN' }] });
  const foreign = await call('POST', '/v1/quarantine/replay', otherVillageKey, [{ id: badNik!.quarantineId, payload: resident(3) }]);
  t.match(foreign.body.records[0], { status: 'refused', errors: [{ code: 'NOT_FOUND' }] }, 'another village cannot replay it');
  t.equal(await qStatus(badNik!.quarantineId), 'open');
});

t.test('a rejected registration is corrected and replayed through the registration path', async (t) => {
  const res = await call('POST', '/v1/registrations', villageKey, { registrations: [{ externalId: 'q-reg-1', service: 'NO_SUCH_SERVICE', applicant: applicant(40) }] });
  const qid = res.body.records[0].quarantineId as number;
  t.ok(qid);
  const replay = await call('POST', '/v1/quarantine/replay', villageKey, [{ id: qid, payload: { externalId: 'q-reg-1', service: 'KTP_EL_BARU', applicant: applicant(40) } }]);
  t.match(replay.body.records[0], { kind: 'registration', status: 'accepted', recordId: Number });
  const id = replay.body.records[0].recordId;
  const routed = await eventually(async () => {
    const r = await call('GET', `/v1/registrations/${id}`, villageKey);
    return r.body.status === 'routed' ? r.body : null;
  });
  t.same(routed.route, { agency: 'disdukcapil', level: 'kabupaten' });
  t.equal(await qStatus(qid), 'replayed');
});

t.test('a registration the validate stage quarantined is revived by its replay', async (t) => {
  const [reg] = await rows<{ id: number }>(db, sql`
    insert into registrations (village_code, external_id, service_code, applicant, status, errors)
    values (${PANARAGAN}, 'q-stage-1', 'RETIRED_SERVICE', ${JSON.stringify(applicant(50))}::jsonb, 'quarantined', '[{"code":"SERVICE_UNKNOWN"}]'::jsonb)
    returning id`);
  const [q] = await rows<{ id: number }>(db, sql`
    insert into quarantine (kind, village_code, external_id, payload, errors)
    values ('registration', ${PANARAGAN}, 'q-stage-1',
      ${JSON.stringify({ registrationId: reg!.id, externalId: 'q-stage-1', service: 'KTP_EL_BARU', applicant: applicant(50), details: null })}::jsonb,
      '[{"code":"SERVICE_UNKNOWN"}]'::jsonb)
    returning id`);
  const replay = await call('POST', '/v1/quarantine/replay', kecamatanKey, [{ id: q!.id, payload: { externalId: 'q-stage-1', service: 'KTP_EL_BARU', applicant: applicant(50) } }]);
  t.match(replay.body.records[0], { status: 'accepted', recordId: reg!.id }, 'the same registration, not a second one');
  await eventually(async () => (await rows<{ status: string }>(db, sql`select status from registrations where id = ${reg!.id}`))[0]!.status === 'routed');
  const n = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where external_id = 'q-stage-1'`);
  t.equal(n[0]!.n, 1);
});

t.test('a registration an earlier hub refused for a field sent as null is accepted by its replay as it was sent', async (t) => {
  // As intake quarantined it before a null was read as not given: the raw record and its FIELD_TYPE.
  const sent = { externalId: 'q-null-1', service: 'KTP_EL_BARU', applicant: { ...applicant(70), motherName: null, phone: null } };
  const [q] = await rows<{ id: number }>(db, sql`
    insert into quarantine (kind, village_code, external_id, payload, errors)
    values ('registration', ${PANARAGAN}, 'q-null-1', ${JSON.stringify(sent)}::jsonb,
      '[{"code":"FIELD_TYPE","field":"applicant.motherName"},{"code":"FIELD_TYPE","field":"applicant.phone"}]'::jsonb)
    returning id`);
  const replay = await call('POST', '/v1/quarantine/replay', villageKey, [{ id: q!.id }]);
  t.match(replay.body.records[0], { kind: 'registration', status: 'accepted', recordId: Number }, 'no payload needed: the stored record passes now');
  t.equal(await qStatus(q!.id), 'replayed');
  const id = replay.body.records[0].recordId as number;
  await eventually(async () => (await rows<{ status: string }>(db, sql`select status from registrations where id = ${id}`))[0]!.status === 'routed');
  const [reg] = await rows<{ mother: string | null; name: string }>(db, sql`select applicant->>'motherName' as mother, applicant->>'fullName' as name from registrations where id = ${id}`);
  t.same(reg, { mother: null, name: applicant(70).fullName });
});

t.test('the CLI lists and replays quarantined records', async (t) => {
  const list = await runCli(th, ['quarantine', 'list', '--village', '18.12.01.2002', '--kind', 'resident', '--json']);
  t.equal(list.code, 0, list.stderr);
  const items = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.ok(items.some((i: { id: number }) => i.id === badNik!.quarantineId));
  t.notOk(items.some((i: { id: number }) => i.id === badDate!.quarantineId), 'replayed records are not open');

  const dir = mkdtempSync(path.join(tmpdir(), 'tiyuh-q-'));
  const file = path.join(dir, 'fixed.json');
  writeFileSync(file, JSON.stringify({ ...resident(3), villageCode: '18.12.01.2002' }));
  const replay = await runCli(th, ['quarantine', 'replay', String(badNik!.quarantineId), '--payload', file]);
  t.equal(replay.code, 0, replay.stderr);
  t.match(JSON.parse(replay.stdout.trim()), { id: badNik!.quarantineId, status: 'accepted', outcome: 'created' });
  t.equal(await qStatus(badNik!.quarantineId), 'replayed');
  const usage = await runCli(th, ['quarantine', 'replay']);
  t.equal(usage.code, 2);
});

t.test('a rejected record sent or replayed again unchanged keeps its one entry', async (t) => {
  const reg = { externalId: 'q-same-1', service: 'NO_SUCH_SERVICE', applicant: applicant(60) };
  const first = await call('POST', '/v1/registrations', villageKey, { registrations: [reg] });
  const again = await call('POST', '/v1/registrations', villageKey, { registrations: [reg] });
  const qid = first.body.records[0].quarantineId as number;
  t.equal(again.body.records[0].quarantineId, qid, 'the resend finds the open entry');
  const replay = await call('POST', '/v1/quarantine/replay', villageKey, [{ id: qid }]);
  t.match(replay.body.records[0], { status: 'rejected', quarantineId: qid });
  t.equal(await qStatus(qid), 'open');
  const regs = await rows<{ n: number }>(db, sql`select count(*)::int as n from quarantine where external_id = 'q-same-1'`);
  t.equal(regs[0]!.n, 1, 'one entry after a send, a resend and a replay');

  const r = resident(9, { religion: 42 });
  const a = await call('POST', '/v1/residents', villageKey, { residents: [r] });
  const b = await call('POST', '/v1/residents', villageKey, { residents: [r] });
  t.equal(b.body.records[0].quarantineId, a.body.records[0].quarantineId);
  const changed = await call('POST', '/v1/registrations', villageKey, { registrations: [{ ...reg, applicant: applicant(61) }] });
  t.not(changed.body.records[0].quarantineId, qid, 'a different payload is a new entry');
});

t.test('an entry can be discarded: kept as discarded, audited, and only by who may see it', async (t) => {
  const sent = await call('POST', '/v1/residents', villageKey, { residents: [resident(20, { nik: '12' })] });
  const qid = sent.body.records[0].quarantineId as number;
  const foreign = await call('POST', '/v1/quarantine/discard', otherVillageKey, { ids: [qid], reason: 'bukan milik kami' });
  t.match(foreign.body.records[0], { id: qid, status: 'refused', errors: [{ code: 'NOT_FOUND' }] });
  const empty = await call('POST', '/v1/quarantine/discard', villageKey, { ids: [qid], reason: '   ' });
  t.match(empty, { status: 400, body: { code: 'FIELD_EMPTY', field: 'reason' } });
  const res = await call('POST', '/v1/quarantine/discard', villageKey, { ids: [qid], reason: 'data uji coba' });
  t.same(res.body.records, [{ id: qid, status: 'discarded' }]);
  t.equal(await qStatus(qid), 'discarded');
  const [audit] = await rows<{ actor: string; region_code: string; detail: { reason: string } }>(db, sql`
    select actor, region_code, detail from audit_log where action = 'quarantine.discard' and target_id = ${String(qid)}`);
  t.match(audit, { region_code: PANARAGAN, detail: { reason: 'data uji coba' } });
  const twice = await call('POST', '/v1/quarantine/discard', villageKey, { ids: [qid], reason: 'lagi' });
  t.match(twice.body.records[0], { status: 'refused', errors: [{ code: 'QUARANTINE_NOT_OPEN' }] });
  const listed = await call('GET', '/v1/quarantine?status=discarded', villageKey);
  t.ok(listed.body.items.some((i: { id: number }) => i.id === qid));
  const replay = await call('POST', '/v1/quarantine/replay', villageKey, [{ id: qid }]);
  t.match(replay.body.records[0], { status: 'refused' }, 'a discarded entry is not replayed');
});
