import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../../src/db/client.js';
import { arrayParam } from '../../../src/db/sqlArrays.js';
import { startTestHub } from '../../helpers/hub.js';
import { SinglePushCommitter, type SinglePush } from '../../../src/pipeline/intake/groupCommit.js';
import { checkRegistration } from '../../../src/pipeline/validate/registration.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../../helpers/fixtures.js';

// Single pushes arriving together are committed in groups (SinglePushCommitter): each answer must be
// what a push alone gets, with duplicates and Idempotency-Keys inside one group.
const th = await startTestHub(t, { workers: false });
const db = th.hub.database.db;
const keyA = await th.key('village', { villageCode: PANARAGAN });
const keyB = await th.key('village', { villageCode: MULYA_JAYA_05 });
const push = async (key: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${th.url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: await res.json() as { submissionId: number; records: { externalId: string; id: number; status: string; duplicate?: boolean }[] } };
};
const reg = (externalId: string, n: number) => ({ externalId, service: 'KTP_EL_BARU', applicant: applicant(n) });

t.test('120 concurrent single pushes of two villages: each stored once, duplicates answered as such', async (t) => {
  const sends = Array.from({ length: 120 }, (_, i) => {
    // Each (village, externalId) is sent twice at once; the two villages share externalIds (each its own record).
    return push(i % 2 ? keyA : keyB, reg(`gc-${Math.floor(i / 4)}`, 100 + i));
  });
  const answers = await Promise.all(sends);
  t.same(answers.filter((a) => a.status !== 202).map((a) => a.status), [], 'all 202');
  const submissions = new Set(answers.map((a) => a.body.submissionId));
  t.equal(submissions.size, 120, 'an inbox row (submission) per request');
  const [n] = await rows<{ inbox: number; regs: number; distinct: number }>(db, sql`
    select (select count(*)::int from inbox where id = any(${arrayParam([...submissions], 'int')})) as inbox,
      (select count(*)::int from registrations where external_id like 'gc-%') as regs,
      (select count(distinct (village_code, external_id))::int from registrations where external_id like 'gc-%') as distinct`);
  t.equal(n!.inbox, 120);
  t.equal(n!.regs, 60, 'each of the 60 (village, externalId) stored');
  t.equal(n!.distinct, 60, 'no registration twice');
  const byRecord = new Map<number, number>();
  for (const a of answers) {
    const r = a.body.records[0]!;
    t.equal(r.status, 'accepted');
    if (!r.duplicate) byRecord.set(r.id, (byRecord.get(r.id) ?? 0) + 1);
  }
  t.equal(byRecord.size, n!.regs, 'each stored registration answered fresh exactly once');
  t.ok([...byRecord.values()].every((c) => c === 1));
  const dups = answers.filter((a) => a.body.records[0]!.duplicate);
  t.equal(dups.length, 120 - n!.regs, 'the rest answered as duplicates of a stored id');
  for (const d of dups) t.ok(byRecord.has(d.body.records[0]!.id), 'a duplicate names the stored record');
  // Each request's inbox row holds its own answer (replayed for its Idempotency-Key).
  const stored = await rows<{ id: number; response: unknown }>(db, sql`select id, response from inbox where id = any(${arrayParam([...submissions], 'int')})`);
  const answerOf = new Map(answers.map((a) => [a.body.submissionId, a.body]));
  for (const s of stored) t.same(s.response, answerOf.get(s.id));
});

t.test('one Idempotency-Key sent 8 times at once in single pushes: one inbox row, the others replay it or wait', async (t) => {
  const answers = await Promise.all(Array.from({ length: 8 }, () => push(keyA, reg('gc-idem', 500), { 'idempotency-key': 'gc-same' })));
  t.ok(answers.every((a) => a.status === 202 || a.status === 409), answers.map((a) => a.status).join(','));
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from inbox where idempotency_key = 'gc-same'`);
  t.equal(n?.n, 1);
  const ok = answers.filter((a) => a.status === 202);
  t.ok(ok.length >= 1);
  t.ok(ok.every((a) => a.body.submissionId === ok[0]!.body.submissionId), 'all 202s are the one submission');
  t.equal(ok.filter((a) => a.replayed !== 'true').length, 1, 'answered fresh once, replayed otherwise');
  const again = await push(keyA, reg('gc-idem', 500), { 'idempotency-key': 'gc-same' });
  t.equal(again.status, 202);
  t.equal(again.replayed, 'true');
  t.same(again.body, ok.find((a) => a.replayed !== 'true')!.body);
});

t.test('each group\'s new records are enqueued for identify', async (t) => {
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => push(keyB, reg(`gc-q-${i}`, 700 + i))));
  const ids = new Set(answers.map((a) => a.body.records[0]!.id));
  // The job is enqueued right after the group's answers (not before them): read until it is there.
  let jobs = await th.hub.ctx.queues.queues.identify.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
  let queued = new Set(jobs.flatMap((j) => j.data.ids));
  for (let i = 0; i < 100 && ![...ids].every((id) => queued.has(id)); i++) {
    await new Promise((r) => setTimeout(r, 50));
    jobs = await th.hub.ctx.queues.queues.identify.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
    queued = new Set(jobs.flatMap((j) => j.data.ids));
  }
  t.ok([...ids].every((id) => queued.has(id)), 'every new record in an identify job');
  t.ok(jobs.filter((j) => j.data.ids.some((id) => ids.has(id))).length <= 30, 'no more jobs than requests');
});

t.test('grouped pushes with warnings, duplicates and Idempotency-Keys: each replay is the first answer', async (t) => {
  // Half of them with a NIK that disagrees with the sex (a warning), a quarter repeating an externalId.
  const body = (i: number) => {
    const a = applicant(900 + (i % 30));
    return { externalId: `gc-w-${i % 30}`, service: 'KIA', applicant: i % 2 ? { ...a, sex: a.sex === 'F' ? 'M' : 'F' } : a };
  };
  const first = await Promise.all(Array.from({ length: 40 }, (_, i) => push(keyA, body(i), { 'idempotency-key': `gc-w-key-${i}` })));
  t.same(first.map((a) => a.status), Array.from({ length: 40 }, () => 202));
  const warned = first.filter((a) => a.body.records[0]!.status === 'accepted' && 'warnings' in a.body.records[0]!);
  t.ok(warned.length > 0, 'some answers carry warnings');
  t.equal(first.filter((a) => !a.body.records[0]!.duplicate).length, 30, 'each externalId stored once');
  const again = await Promise.all(Array.from({ length: 40 }, (_, i) => push(keyA, body(i), { 'idempotency-key': `gc-w-key-${i}` })));
  for (let i = 0; i < 40; i++) {
    t.equal(again[i]!.replayed, 'true');
    t.same(again[i]!.body, first[i]!.body, `push ${i} replayed as first answered`);
  }
  const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where external_id like 'gc-w-%'`);
  t.equal(n!.n, 30);
});

t.test('a group that meets another transaction committing its externalId or Idempotency-Key is stored push by push', async (t) => {
  // What the group's statement cannot see (committed after its snapshot) fails its insert; the group's
  // pushes are then stored alone and answered as they would be alone.
  const enqueued: number[] = [];
  const committer = new SinglePushCommitter(db, async (ids) => { enqueued.push(...ids); });
  const single = (externalId: string, n: number, idem: string | null): SinglePush => {
    const body = reg(externalId, n);
    const c = checkRegistration(body, th.hub.ctx.config, PANARAGAN);
    if (!c.ok) throw new Error('fixture invalid');
    return { villageCode: PANARAGAN, apiKeyId: 1, idempotencyKey: idem, requestHash: `h-${externalId}`, payload: body, value: c.value, warnings: c.warnings };
  };
  const [apiKey] = await rows<{ id: number }>(db, sql`select id from api_keys order by id limit 1`);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let otherId = 0;
  const other = db.transaction(async (tx) => {
    const [i] = await rows<{ id: number }>(tx, sql`
      insert into inbox (channel, kind, village_code, api_key_id, idempotency_key, request_hash, record_count, payload, response)
      values ('push', 'registration', ${PANARAGAN}, ${apiKey!.id}, 'gc-race-key', 'h-x', 1, '{}'::jsonb, '{"submissionId": 0, "records": []}'::jsonb) returning id`);
    const [r] = await rows<{ id: number }>(tx, sql`
      insert into registrations (inbox_id, village_code, external_id, service_code, applicant, status)
      values (${i!.id}, ${PANARAGAN}, 'gc-race-1', 'KTP_EL_BARU', '{}'::jsonb, 'validated') returning id`);
    otherId = r!.id;
    await gate;
  });
  while (otherId === 0) await new Promise((r) => setTimeout(r, 10));
  const raced = committer.submit({ ...single('gc-race-1', 950, null) });
  const keyed = committer.submit({ ...single('gc-race-2', 951, 'gc-race-key'), apiKeyId: apiKey!.id });
  // Both statements wait on the other transaction's unique index entries before it commits.
  for (let i = 0; i < 500; i++) {
    const [w] = await rows<{ n: number }>(db, sql`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%with u as materialized%'`);
    if (w!.n >= 2) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  release();
  await other;
  const [a, b] = await Promise.all([raced, keyed]);
  t.match(a!.response.records[0], { externalId: 'gc-race-1', id: otherId, status: 'accepted', duplicate: true }, 'answered as a duplicate of the committed one');
  t.equal(b, null, 'the committed Idempotency-Key: null, for the route to replay or refuse');
  t.same(enqueued, [], 'nothing new to identify');
  const [n] = await rows<{ regs: number; inbox: number }>(db, sql`
    select (select count(*)::int from registrations where external_id in ('gc-race-1', 'gc-race-2')) as regs,
      (select count(*)::int from inbox where idempotency_key = 'gc-race-key') as inbox`);
  t.same(n, { regs: 1, inbox: 1 });
});

t.test('a single push\'s Idempotency-Key, looked up by the group\'s statement: replay, reuse refused, an invalid body under a used key', async (t) => {
  const first = await push(keyB, reg('gc-k-1', 960), { 'idempotency-key': 'gc-k' });
  t.equal(first.status, 202);
  const again = await push(keyB, reg('gc-k-1', 960), { 'idempotency-key': 'gc-k' });
  t.equal(again.status, 202);
  t.equal(again.replayed, 'true');
  t.same(again.body, first.body);
  const other = await push(keyB, reg('gc-k-2', 961), { 'idempotency-key': 'gc-k' });
  t.equal(other.status, 422);
  t.match(other.body, { code: 'IDEMPOTENCY_KEY_REUSED' });
  // Not a registration at all: the used key is still what answers.
  const invalid = await push(keyB, { externalId: 'gc-k-3', service: 'NO_SUCH_SERVICE', applicant: applicant(962) }, { 'idempotency-key': 'gc-k' });
  t.equal(invalid.status, 422);
  t.match(invalid.body, { code: 'IDEMPOTENCY_KEY_REUSED' });
  const [n] = await rows<{ inbox: number; regs: number }>(db, sql`
    select (select count(*)::int from inbox where idempotency_key = 'gc-k') as inbox,
      (select count(*)::int from registrations where external_id like 'gc-k-%') as regs`);
  t.same(n, { inbox: 1, regs: 1 });
});

// The group's statement is the same for every group but its values: on the hub's plan-reusing connection
// Postgres plans it a few times, then keeps a generic plan (the rest of the hub plans every statement).
t.test('the group statement keeps its plan on the connection that reuses plans, and answers the same', async (t) => {
  for (let i = 0; i < 12; i++) {
    const a = await push(keyA, reg(`plan-${i}`, 500 + i));
    t.equal(a.status, 202);
    t.equal(a.body.records[0]!.status, 'accepted');
  }
  const again = await push(keyA, reg('plan-3', 503));
  t.equal(again.body.records[0]!.duplicate, true, 'a known externalId is still answered as a duplicate');
  const reusing = th.hub.database.reusingPlans;
  const [mode] = await rows<{ plan_cache_mode: string }>(reusing, sql`show plan_cache_mode`);
  t.equal(mode!.plan_cache_mode, 'auto');
  const [custom] = await rows<{ plan_cache_mode: string }>(db, sql`show plan_cache_mode`);
  t.equal(custom!.plan_cache_mode, 'force_custom_plan', 'the other connections plan every statement');
  const [group] = await rows<{ generic: number; custom: number }>(reusing, sql`
    select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements
    where statement like '%insert into registrations (id, inbox_id%' order by generic_plans desc limit 1`);
  t.ok(group && group.generic > 0, `generic plans used (${group?.generic} generic, ${group?.custom} custom)`);
  t.ok(group && group.custom <= 6, 'planned only while Postgres compares the plans');
});
