import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { IdentifyBatcher } from '../../src/pipeline/stages/identifyBatches.js';
import type { RecordKind } from '../../src/pipeline/queues.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';
import { allDone, holdIdentifyLock } from '../helpers/pipeline.js';

/** A stage that records the batches it was given; the first runs until `release` is called. */
function recordingStage(fail: (ids: number[]) => boolean = () => false) {
  const batches: { kind: RecordKind; ids: number[] }[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const run = async (ids: number[], kind: RecordKind) => {
    batches.push({ kind, ids: [...ids] });
    if (batches.length === 1) await gate;
    if (fail(ids)) throw new Error('stage failed');
  };
  return { batches, run, release };
}

t.test('jobs that wait while a batch runs become one batch, up to the cap', async (t) => {
  const s = recordingStage();
  const b = new IdentifyBatcher(s.run, 5);
  const first = b.submit('registration', [1]);
  const rest = [2, 3, 4, 5, 6, 7, 8].map((id) => b.submit('registration', [id]));
  s.release();
  await Promise.all([first, ...rest]);
  t.same(s.batches.map((x) => x.ids), [[1], [2, 3, 4, 5, 6], [7, 8]], 'the waiting jobs in order, five records a batch');
  t.same(b.stats, { batches: 3, jobs: 8, retriedAlone: 0, readAhead: 0 });
});

t.test('a record named by two waiting jobs is in their batch once', async (t) => {
  const s = recordingStage();
  const b = new IdentifyBatcher(s.run, 10);
  const first = b.submit('registration', [1]);
  const rest = [b.submit('registration', [2, 3]), b.submit('registration', [3, 4])];
  t.same(b.holding('registration').sort(), [1, 2, 3, 3, 4], 'held: the running batch and the waiting jobs');
  s.release();
  await Promise.all([first, ...rest]);
  t.same(s.batches.map((x) => x.ids), [[1], [2, 3, 4]]);
  t.same(b.holding('registration'), [], 'nothing held once done');
});

t.test('a job larger than the cap still runs, alone', async (t) => {
  const s = recordingStage();
  const b = new IdentifyBatcher(s.run, 3);
  const first = b.submit('registration', [1]);
  const big = b.submit('registration', [2, 3, 4, 5]);
  const small = b.submit('registration', [6]);
  s.release();
  await Promise.all([first, big, small]);
  t.same(s.batches.map((x) => x.ids), [[1], [2, 3, 4, 5], [6]]);
});

t.test('kinds never share a batch and take turns', async (t) => {
  const s = recordingStage();
  const b = new IdentifyBatcher(s.run, 100);
  const all = [b.submit('registration', [1]), b.submit('resident', [10]), b.submit('registration', [2]), b.submit('resident', [11]), b.submit('registration', [3])];
  s.release();
  await Promise.all(all);
  t.same(s.batches, [
    { kind: 'registration', ids: [1] }, { kind: 'resident', ids: [10, 11] }, { kind: 'registration', ids: [2, 3] },
  ]);
});

t.test('a record that fails its batch fails only its own job, and its job then runs alone', async (t) => {
  const s = recordingStage((ids) => ids.includes(3));
  const b = new IdentifyBatcher(s.run, 100);
  const first = b.submit('registration', [1]);
  const jobs = [[2], [3, 4], [5]].map((ids) => b.submit('registration', ids));
  s.release();
  await first;
  const settled = await Promise.allSettled(jobs);
  t.same(settled.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled'], 'only the job holding record 3 fails');
  t.same(s.batches.slice(1).map((x) => x.ids), [[2, 3, 4, 5], [2], [3, 4], [3], [4], [5]],
    'the shared batch, then each job alone, the failing one halved until record 3 is alone');

  // Its retry (BullMQ's or the sweep's) runs alone: the jobs beside it are not spoiled again.
  const again = [b.submit('registration', [6]), b.submit('registration', [3, 4]), b.submit('registration', [7])];
  const results = await Promise.allSettled(again);
  t.same(results.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled']);
  const later = s.batches.slice(7).map((x) => x.ids);
  t.same(later.filter((ids) => ids.includes(3)), [[3, 4], [3]], 'record 3 never again in a shared batch');
  t.same(later.filter((ids) => !ids.includes(3)).flat().sort(), [4, 6, 7], 'and the others ran');
});

t.test('closing: the batch in progress finishes, the jobs still waiting are handed back unrun', async (t) => {
  const s = recordingStage();
  const b = new IdentifyBatcher(s.run, 100);
  const running = b.submit('registration', [1]);
  const waiting = [b.submit('registration', [2]), b.submit('resident', [3])];
  const stopped = b.stop();
  t.same(await Promise.all(waiting), ['deferred', 'deferred']);
  s.release();
  await stopped;
  t.equal(await running, 'done');
  t.equal(await b.submit('registration', [4]), 'deferred', 'nothing new is taken once stopped');
  t.same(s.batches.map((x) => x.ids), [[1]]);
});

t.test('in a backlog the next batch is taken and read ahead while one runs; under a trickle nothing is', async (t) => {
  const s = recordingStage();
  const reads: { kind: RecordKind; ids: number[] }[] = [];
  const given: (string | undefined)[] = [];
  const b = new IdentifyBatcher<string>(async (ids, kind, ahead) => {
    given.push(await ahead);
    await s.run(ids, kind);
  }, 3, async (ids, kind) => {
    reads.push({ kind, ids });
    return `read ${ids.join(',')}`;
  });
  const first = b.submit('resident', [1]);
  // Seven resident records and one registration wait while the first batch runs.
  const rest = [[2, 3], [4], [5, 6, 7], [8]].map((ids) => b.submit('resident', ids));
  const push = b.submit('registration', [100]);
  s.release();
  await Promise.all([first, ...rest, push]);
  t.same(s.batches, [
    { kind: 'resident', ids: [1] }, { kind: 'registration', ids: [100] }, { kind: 'resident', ids: [2, 3, 4] },
    { kind: 'resident', ids: [5, 6, 7] }, { kind: 'resident', ids: [8] },
  ], 'kinds still take turns: the registration does not wait behind the batch read ahead');
  t.same(reads, [{ kind: 'resident', ids: [2, 3, 4] }, { kind: 'resident', ids: [5, 6, 7] }], 'only batches a backlog filled were read ahead');
  t.same(given, [undefined, undefined, 'read 2,3,4', 'read 5,6,7', undefined], 'each batch got its own read');
  t.equal(b.stats.readAhead, 2);
});

t.test('a failed read ahead leaves the batch to read its records itself; closing hands back the batch read ahead', async (t) => {
  const s = recordingStage();
  const given: (string | undefined)[] = [];
  const b = new IdentifyBatcher<string>(async (ids, kind, ahead) => {
    given.push(await ahead);
    await s.run(ids, kind);
  }, 2, () => Promise.reject(new Error('read failed')));
  const first = b.submit('resident', [1]);
  const next = [b.submit('resident', [2]), b.submit('resident', [3])];
  const last = b.submit('resident', [4]);
  s.release();
  t.same(await Promise.all([first, ...next, last]), ['done', 'done', 'done', 'done']);
  t.same(given, [undefined, undefined, undefined]);

  const s2 = recordingStage();
  const b2 = new IdentifyBatcher<string>(s2.run, 2, async () => 'read');
  const running = b2.submit('resident', [1]);
  const ahead = [b2.submit('resident', [2]), b2.submit('resident', [3])];
  const waiting = b2.submit('resident', [4]);
  // The job after the first batch started was taken ahead with the one beside it.
  await new Promise((r) => setImmediate(r));
  const stopped = b2.stop();
  t.same(await Promise.all([...ahead, waiting]), ['deferred', 'deferred', 'deferred'], 'the batch read ahead and the jobs still waiting go back');
  s2.release();
  await stopped;
  t.equal(await running, 'done');
  t.same(s2.batches.map((x) => x.ids), [[1]]);
});

t.test('a shared batch that fails is retried job by job, and the batch read ahead meanwhile still runs with its read', async (t) => {
  const s = recordingStage((ids) => ids.includes(3));
  const given: [number[], string | undefined][] = [];
  const b = new IdentifyBatcher<string>(async (ids, kind, ahead) => {
    given.push([ids, await ahead]);
    await s.run(ids, kind);
  }, 2, async (ids) => `read ${ids.join(',')}`);
  const first = b.submit('resident', [1]);
  const jobs = [[2], [3], [4], [5]].map((ids) => b.submit('resident', ids));
  s.release();
  await first;
  t.same((await Promise.allSettled(jobs)).map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'], 'only the job holding record 3 fails');
  t.same(given, [
    [[1], undefined], [[2, 3], undefined], [[2], undefined], [[3], undefined], [[4, 5], 'read 4,5'],
  ], 'the failed batch\'s jobs ran alone, without a read; the next batch kept its own');
});

t.test('through the hub: single-record jobs are identified in few batches, one citizen per NIK, one delivery each', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const key = await th.key('village', { villageCode: PANARAGAN });
  // 300 single pushes; every seventh pair of applicants shares a NIK (the fixture's serial is i/7).
  for (let i = 0; i < 300; i += 30) {
    await Promise.all(Array.from({ length: 30 }, async (_, k) => {
      const res = await fetch(`${th.url}/v1/registrations`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ externalId: `single-${i + k}`, service: 'KTP_EL_BARU', applicant: applicant(i + k) }),
      });
      if (res.status !== 202) throw new Error(`push failed: ${res.status}`);
    }));
  }
  // Pushes that arrive together commit as one group and travel as one job (group commit): at most one per push.
  const jobs = (await th.hub.ctx.queues.queues.identify.getJobCounts('waiting')).waiting ?? 0;
  t.ok(jobs >= 1 && jobs <= 300, `${jobs} identify jobs for 300 pushes`);
  await th.hub.close();
  const hub = await th.restart({ workers: true });
  const db = hub.database.db;
  const end = await allDone(db, 300);
  t.equal(end.links, 300, 'every record linked once');
  t.equal(end.citizens, end.niks, 'one citizen per NIK, the index and the table agree');
  t.equal(end.deliveries, end.distinct, 'no delivery doubled');
  const stats = hub.workers!.identifyBatches;
  t.equal(stats.jobs, jobs, 'every job taken once');
  t.ok(stats.batches < 60, `${jobs} jobs in ${stats.batches} batches`);
});

t.test('through the hub: a record that always fails holds back only itself', async (t) => {
  const th = await startTestHub(t, { workers: false }, { STAGE_ATTEMPTS: '3', STAGE_BACKOFF_MS: '50', SWEEP_EVERY_SECONDS: '1' });
  const key = await th.key('village', { villageCode: PANARAGAN });
  const ids: number[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await fetch(`${th.url}/v1/registrations`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ externalId: `poison-${i}`, service: 'KTP_EL_BARU', applicant: applicant(1000 + i * 7) }),
    });
    ids.push(((await res.json()) as { records: { id: number }[] }).records[0]!.id);
  }
  const bad = ids[17]!;
  // A real failure inside identify's transaction, for one record only.
  await th.hub.database.db.execute(sql.raw(`create function refuse_one() returns trigger language plpgsql as $$
    begin if new.record_id = ${bad} then raise exception 'refused'; end if; return new; end $$;
    create trigger refuse_one before insert on citizen_records for each row execute function refuse_one()`));
  await th.hub.close();
  const hub = await th.restart({ workers: true });
  const db = hub.database.db;
  await eventually(async () => {
    const [r] = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where status in ('routed', 'held')`);
    return r!.n === 39;
  }, 60_000, 100);
  const [stuck] = await rows<{ status: string }>(db, sql`select status from registrations where id = ${bad}`);
  t.equal(stuck!.status, 'validated', 'the failing record waits, the other 39 went through');
  t.ok(hub.workers!.identifyBatches.retriedAlone > 0, 'its batch was retried job by job');
  await db.execute(sql`drop trigger refuse_one on citizen_records`);
  await eventually(async () => {
    const [r] = await rows<{ status: string }>(db, sql`select status from registrations where id = ${bad}`);
    return ['routed', 'held'].includes(r!.status);
  }, 60_000, 100);
  const [end] = await rows<{ links: number; deliveries: number }>(db, sql`
    select (select count(*)::int from citizen_records) as links, (select count(*)::int from deliveries) as deliveries`);
  t.equal(end!.links, 40, 'once the cause is gone it is linked, once');
});

t.test('through the hub: a worker closed while it holds many jobs hands them back, spending no attempt', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const key = await th.key('village', { villageCode: PANARAGAN });
  for (let i = 0; i < 200; i += 20) {
    await Promise.all(Array.from({ length: 20 }, async (_, k) => {
      const res = await fetch(`${th.url}/v1/registrations`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ externalId: `close-${i + k}`, service: 'KTP_EL_BARU', applicant: applicant(5000 + i + k) }),
      });
      if (res.status !== 202) throw new Error(`push failed: ${res.status}`);
    }));
  }
  await th.hub.close();
  // The identify lock held from outside: the first batch waits for it, so the close surely comes while
  // the worker holds jobs beyond that batch (left free, a fast first batch could take the rest first).
  const release = await holdIdentifyLock(th.db.url);
  const hub = await th.restart({ workers: true });
  const identify = hub.ctx.queues.queues.identify;
  await eventually(async () => ((await identify.getJobCounts('active')).active ?? 0) > 1, 30_000, 5);
  const closing = hub.close();
  await release();
  await closing;
  const counts = await (await th.restart({ workers: false })).ctx.queues.queues.identify.getJobCounts('failed', 'completed', 'waiting', 'delayed', 'active');
  t.equal(counts.failed, 0, 'no job failed');
  t.equal(counts.active, 0, 'none left active');
  const handedBack = (counts.waiting ?? 0) + (counts.delayed ?? 0);
  t.ok(handedBack > 0, `${handedBack} handed back (${JSON.stringify(counts)})`);
  const back = await th.hub.ctx.queues.queues.identify.getJobs(['waiting', 'delayed'], 0, -1);
  t.ok(back.every((j) => j.attemptsMade === 0), 'with every attempt still to spend');
  await th.hub.close();
  const last = await th.restart({ workers: true });
  await eventually(async () => {
    const [r] = await rows<{ n: number; links: number }>(last.database.db, sql`
      select count(*) filter (where status in ('routed', 'held'))::int as n, (select count(*)::int from citizen_records) as links from registrations`);
    return r!.n === 200 && r!.links === 200;
  }, 60_000, 100);
  t.pass('all 200 identified once and routed after the restart');
});
