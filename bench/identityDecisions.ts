/**
 * The identify stage's engine path, record by record, as src/pipeline/stages/engineResolver.ts
 * `decide` runs it: prepareRecord, resolvePrepared with joins, the joined citizens merged into
 * the best one, then addPrepared under the citizen decided (a new one unless matched). Live name
 * frequencies, as the hub's index counts them. Prints the CPU time of that loop and a SHA-256 of
 * every decision (outcome, citizen, score to the last bit, joins, each candidate with its evidence),
 * so two trees can be compared for identical decisions; `--out FILE` writes the decisions, one JSON
 * line each, for a diff.
 *   npx tsx bench/identityDecisions.ts --records 20000 --seed 7 [--load 10000] [--json] [--out FILE]
 * `--load N` first files N records under citizens of their own (untimed, not in the digest), as a
 * hub's index holds its citizens before a batch comes.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { IdentityIndex, prepareRecord, type ResolveResult } from '../src/pipeline/identity/index.js';
import { generatePopulation } from '../src/synth/population.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '20000' },
    load: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1812' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const n = Number(values.records);
const nLoad = Number(values.load);
let records = generatePopulation({ records: n + nLoad, seed: Number(values.seed) }).records;
if (values.json) records = records.map((r) => JSON.parse(JSON.stringify(r)) as (typeof records)[number]);

const index = new IdentityIndex(undefined, { expectedRecords: n + nLoad });
for (let i = 0; i < nLoad; i++) index.addPrepared(`L${i}`, prepareRecord(records[i]!));
if (nLoad > 0) index.tighten();
const queries = records.slice(nLoad);
records = [];

interface Decided { recordId: string; res: ResolveResult; citizen: string }
const decided: Decided[] = [];
let next = 0;
let gcMs = 0;
let gcs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcs++;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
/** Named, so a CPU profile can tell the loop from generation and load. */
function decideAll(): void {
  for (const q of queries) {
    const rec = prepareRecord(q);
    const res = index.resolvePrepared(rec, { joins: true });
    let citizen: string;
    if (res.outcome === 'match') {
      citizen = res.citizenId!;
      for (const c of res.joins ?? []) index.merge(c, citizen);
    } else {
      citizen = `N${next++}`;
    }
    index.addPrepared(citizen, rec);
    decided.push({ recordId: q.id, res, citizen });
  }
}
decideAll();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;

// GC entries arrive asynchronously: read them once the loop has yielded.
await new Promise((r) => setTimeout(r, 50));
gcObserver.disconnect();

const hash = createHash('sha256');
const lines: string[] = [];
const counts: Record<string, number> = { match: 0, possible: 0, distinct: 0 };
for (const d of decided) {
  counts[d.res.outcome] = (counts[d.res.outcome] ?? 0) + 1;
  // Scores as their float64 bits: "the same to the last bit".
  const bits = (x: number) => Buffer.from(new Float64Array([x]).buffer).toString('hex');
  const line = JSON.stringify({
    id: d.recordId, outcome: d.res.outcome, citizen: d.citizen, best: d.res.citizenId ?? null, score: bits(d.res.score),
    joins: d.res.joins ?? [], evidence: d.res.evidence,
    candidates: d.res.candidates.map((c) => ({ ...c, score: bits(c.score) })),
  });
  hash.update(line).update('\n');
  if (values.out) lines.push(line);
}
if (values.out) writeFileSync(values.out, lines.join('\n') + '\n');
console.log(JSON.stringify({
  records: queries.length, loaded: nLoad, seed: Number(values.seed), ...counts, citizens: index.citizenCount,
  seconds: Math.round(seconds * 1000) / 1000, cpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
  recordsPerCpuSecond: Math.round(queries.length / cpuSeconds), gcs, gcMs: Math.round(gcMs), digest: hash.digest('hex'),
}));
