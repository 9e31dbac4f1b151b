/**
 * How a batch write's parameters travel, measured: identify's citizen_records insert (2,000 rows of
 * int, int, text, text, real, jsonb) sent as one postgres.js text array per column (what identify and
 * route do, arrayParam), as one json or jsonb document read with json(b)_to_recordset, and as column
 * arrays whose literals are joined by hand (numbers need no escaping). Client CPU (serialization) and
 * the Postgres backend's CPU (parsing) per record, and wall time per batch; each batch is rolled back.
 *   npx tsx bench/bulkParams.ts [--rows 2000] [--reps 100]
 */
import { parseArgs } from 'node:util';
import { sql, type SQL } from 'drizzle-orm';
import { rows } from '../src/db/client.js';
import { arrayParam, jsonTexts } from '../src/db/sqlArrays.js';
import { processCpuSeconds, startBenchHub } from './benchHub.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '2000' }, reps: { type: 'string', default: '100' } } });
const n = Number(values.rows);
const reps = Number(values.reps);

const bench = await startBenchHub({ api: false, workers: false });
const db = bench.hub.database.db;
await db.execute(sql`create table bulk_target (citizen_id int, record_id int, village_code text, link text, score real, evidence jsonb)`);

// Shaped like identify's links: compact evidence per field.
const data = Array.from({ length: n }, (_, i) => ({
  citizen: 100_000 + i, rec: 500_000 + i, village: `18120${1 + (i % 9)}2${String(i % 100).padStart(3, '0')}`, link: i % 3 ? 'match' : 'new',
  score: (i % 97) / 7.3, evidence: { score: (i % 97) / 7.3, fields: ['nik', 'fullName', 'birthDate', 'motherName'].map((f, k) => ({ field: f, level: (i + k) % 4, weight: ((i + k) % 13) / 3.1 })), guards: [] },
}));

// postgres.js's own array serialization for every column (what arrayParam did for numbers before).
const pgArray = (values: unknown[], type: string) => sql`${sql.param(values)}::${sql.raw(type)}[]`;
const variants: Record<string, () => SQL> = {
  textArrays: () => sql`insert into bulk_target select u.c, u.r, u.v, u.l, u.s, u.e::jsonb
    from unnest(${pgArray(data.map((d) => d.citizen), 'int')}, ${pgArray(data.map((d) => d.rec), 'int')}, ${pgArray(data.map((d) => d.village), 'text')},
      ${pgArray(data.map((d) => d.link), 'text')}, ${pgArray(data.map((d) => d.score), 'real')}, ${pgArray(jsonTexts(data.map((d) => d.evidence)), 'text')}) as u(c, r, v, l, s, e)`,
  jsonRecordset: () => sql`insert into bulk_target select x.c, x.r, x.v, x.l, x.s, x.e
    from json_to_recordset(${JSON.stringify(data.map((d) => ({ c: d.citizen, r: d.rec, v: d.village, l: d.link, s: d.score, e: d.evidence })))}::json)
      as x(c int, r int, v text, l text, s real, e jsonb)`,
  jsonbRecordset: () => sql`insert into bulk_target select x.c, x.r, x.v, x.l, x.s, x.e
    from jsonb_to_recordset(${JSON.stringify(data.map((d) => ({ c: d.citizen, r: d.rec, v: d.village, l: d.link, s: d.score, e: d.evidence })))}::jsonb)
      as x(c int, r int, v text, l text, s real, e jsonb)`,
  // arrayParam: numbers as one joined literal, text columns through postgres.js arrays.
  joinedNumbers: () => sql`insert into bulk_target select u.c, u.r, u.v, u.l, u.s, u.e::jsonb
    from unnest(${arrayParam(data.map((d) => d.citizen), 'int')}, ${arrayParam(data.map((d) => d.rec), 'int')}, ${arrayParam(data.map((d) => d.village), 'text')},
      ${arrayParam(data.map((d) => d.link), 'text')}, ${arrayParam(data.map((d) => d.score), 'real')}, ${arrayParam(jsonTexts(data.map((d) => d.evidence)), 'text')}) as u(c, r, v, l, s, e)`,
};

class Rollback extends Error {}
const results: Record<string, unknown> = {};
for (const round of [0, 1]) {
  for (const [name, build] of Object.entries(variants)) {
    let pid = 0;
    let wall = 0;
    const cpu0 = process.cpuUsage();
    let pgCpu = 0;
    for (let i = 0; i < reps; i++) {
      await db.transaction(async (tx) => {
        if (!pid) pid = (await rows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`))[0]!.pid;
        const pg0 = processCpuSeconds(pid);
        const t0 = performance.now();
        await tx.execute(build());
        wall += performance.now() - t0;
        pgCpu += processCpuSeconds(pid) - pg0;
        throw new Rollback();
      }).catch((err: unknown) => { if (!(err instanceof Rollback)) throw err; });
      pid = 0;
    }
    const cpu = process.cpuUsage(cpu0);
    // The first round warms the JIT and the plan cache; the second is reported.
    if (round === 1) {
      results[name] = {
        wallMsPerBatch: Number((wall / reps).toFixed(2)),
        clientCpuMicrosPerRecord: Number(((cpu.user + cpu.system) / reps / n).toFixed(2)),
        postgresCpuMicrosPerRecord: Number(((pgCpu * 1e6) / reps / n).toFixed(2)),
      };
    }
  }
}
console.log(JSON.stringify({ rows: n, reps, results }));
await bench.close();
