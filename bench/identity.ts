/**
 * Identity engine benchmark: a synthetic Tubaba population with ground truth, batch dedupe and
 * incremental resolve against a full index. Prints one JSON object with wall time, CPU time and
 * RSS of each part: the machine is shared, so wall time alone says little (CPU time of this
 * process, GC threads included, is what an idle machine would show as wall time, or more).
 *   npm run bench:identity -- --records 300000 [--only batch|incremental] [--repeat 3]
 * `--repeat` resolves the same queries that many times against the same index and reports each pass.
 * `--warmup N` first resolves N other fresh records, untimed: the JIT compiles the resolve path as
 * in a hub that has been running (cold, the first few thousand resolves run at about half speed).
 * `--json` passes the generated records through JSON first: the generator builds its strings by
 * concatenation, and their first use flattens them, which records read from Postgres do not pay.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  blockingRecall, dedupe, formatEstimate, guardViolations, IdentityIndex, nameFrequenciesOf, pairwiseQuality, prepareRecord,
} from '../src/pipeline/identity/index.js';
import { generatePopulation } from '../src/synth/population.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '1812' },
    queries: { type: 'string', default: '50000' },
    noise: { type: 'string', default: '1' },
    only: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    // Learn m and u from the generated records first (the hand values otherwise).
    learn: { type: 'boolean', default: false },
  },
});
// `--only batch` or `--only incremental` measures one part in its own process (clean peak RSS).
const doBatch = values.only !== 'incremental';
const doIncremental = values.only !== 'batch';
const n = Number(values.records);
const seed = Number(values.seed);
const cpuSecondsSince = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};
const rssMB = () => Math.round(process.memoryUsage().rss / 1048576);
/**
 * The process's RSS high-water mark as the OS counts it (getrusage). The sampling below runs only
 * when the event loop does, so it misses peaks inside synchronous work such as a whole batch.
 */
const maxRssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const maxRssAt: Record<string, number> = {};

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const timer = setInterval(sampleRss, 100);

/** Batch part in its own scope, so its data can be collected before the incremental part. */
function runBatch() {
  const tGen = performance.now();
  const pop = generatePopulation({ records: n, seed, noise: Number(values.noise) });
  const genSeconds = (performance.now() - tGen) / 1000;
  maxRssAt.afterGenerate = maxRssMB();
  const truthOf = new Map(pop.records.map((r) => [r.id, r.truthId]));
  const cpu0 = process.cpuUsage();
  const result = dedupe(pop.records, undefined, {
    onProgress: (done, total) => process.stderr.write(`\rbatch ${done}/${total}`),
    progressEvery: 20000,
    learn: values.learn,
  });
  if (result.estimate) process.stderr.write(`\n${formatEstimate(result.estimate)}\n`);
  const cpuSeconds = cpuSecondsSince(cpu0);
  process.stderr.write('\n');
  sampleRss();
  const batchRssMB = rssMB();
  maxRssAt.afterBatch = maxRssMB();
  const quality = pairwiseQuality(truthOf, result.clusterOf);
  const guards = guardViolations(pop.records, result.clusterOf, truthOf, pop.forbidden);
  maxRssAt.afterQuality = maxRssMB();
  const blocking = blockingRecall(pop.records, truthOf);
  maxRssAt.afterBlockingRecall = maxRssMB();
  // The review queue staff would get: a case per record left with a review pair (the pipeline opens
  // one per record), and how many of those are one person.
  const caseOf = new Map<string, boolean>();
  for (const p of result.possible) caseOf.set(p.a, (caseOf.get(p.a) ?? false) || truthOf.get(p.a) === truthOf.get(p.b));
  const trueCases = [...caseOf.values()].filter(Boolean).length;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const review = {
    cases: caseOf.size, casesPerThousandRecords: round((caseOf.size * 1000) / pop.records.length),
    trueShare: caseOf.size === 0 ? null : round(trueCases / caseOf.size),
    pairs: result.possible.length,
    truePairShare: result.possible.length === 0 ? null
      : round(result.possible.filter((p) => truthOf.get(p.a) === truthOf.get(p.b)).length / result.possible.length),
  };
  return { genSeconds, truePersons: new Set(truthOf.values()).size, stats: result.stats, quality, guards, blocking, batchRssMB, cpuSeconds, review };
}

const batch = doBatch ? runBatch() : null;

/** Incremental part: an index of n citizens, then fresh records of the same population (some of
 * them the same people) resolved against it. */
function runIncremental() {
  const nQueries = Number(values.queries);
  const nWarmup = Number(values.warmup);
  let fresh = generatePopulation({ records: n + nQueries + nWarmup, seed: seed + 1, noise: Number(values.noise) }).records;
  // One record at a time: one JSON text of them all would be the process's peak.
  if (values.json) fresh = fresh.map((r) => JSON.parse(JSON.stringify(r)) as (typeof fresh)[number]);
  maxRssAt.afterGenerateQueries = maxRssMB();
  // Load as the pipeline does: prepare each record and file it (name frequencies are counted first here).
  const tLoad = performance.now();
  const loadCpu0 = process.cpuUsage();
  const prepared = fresh.slice(0, n).map(prepareRecord);
  const index = new IdentityIndex(undefined, { frequencies: nameFrequenciesOf(prepared), expectedRecords: n });
  prepared.forEach((p, i) => index.addPrepared(`C${i}`, p));
  index.tighten();
  prepared.length = 0;
  const loadSeconds = (performance.now() - tLoad) / 1000;
  const loadCpuSeconds = cpuSecondsSince(loadCpu0);
  maxRssAt.afterLoad = maxRssMB();
  sampleRss();
  const queries = fresh.slice(n, n + nQueries);
  const warmupQueries = fresh.slice(n + nQueries);
  fresh.length = 0;
  const warmupCpu0 = process.cpuUsage();
  for (const q of warmupQueries) index.resolve(q);
  const warmupCpuSeconds = cpuSecondsSince(warmupCpu0);
  const passes: Array<{ seconds: number; cpuSeconds: number; recordsPerSecond: number; recordsPerCpuSecond: number }> = [];
  let matched = 0;
  for (let pass = 0; pass < Math.max(1, Number(values.repeat)); pass++) {
    const tRes = performance.now();
    const cpu0 = process.cpuUsage();
    matched = 0;
    for (const q of queries) if (index.resolve(q).outcome === 'match') matched++;
    const seconds = (performance.now() - tRes) / 1000;
    const cpuSeconds = cpuSecondsSince(cpu0);
    passes.push({
      seconds, cpuSeconds,
      recordsPerSecond: Math.round(queries.length / seconds),
      recordsPerCpuSecond: Math.round(queries.length / cpuSeconds),
    });
    sampleRss();
  }
  const first = passes[0] as (typeof passes)[number];
  return {
    indexCitizens: index.citizenCount,
    loadSeconds,
    loadCpuSeconds,
    ...(nWarmup > 0 ? { warmup: { resolves: nWarmup, cpuSeconds: r3(warmupCpuSeconds) } } : {}),
    resolves: queries.length,
    seconds: first.seconds,
    recordsPerSecond: first.recordsPerSecond,
    // CPU time of this process (all its threads): what the wall clock would show on an idle machine, or more.
    cpuSeconds: first.cpuSeconds,
    recordsPerCpuSecond: first.recordsPerCpuSecond,
    ...(passes.length > 1 ? { passes: passes.map((p) => ({ ...p, seconds: r3(p.seconds), cpuSeconds: r3(p.cpuSeconds) })) } : {}),
    matched,
    rssMB: rssMB(),
  };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const incremental = doIncremental ? runIncremental() : null;
clearInterval(timer);

console.log(JSON.stringify({
  records: n,
  ...(batch ? {
    generateSeconds: r3(batch.genSeconds),
    batch: {
      seconds: r3(batch.stats.seconds),
      recordsPerSecond: Math.round(n / batch.stats.seconds),
      cpuSeconds: r3(batch.cpuSeconds),
      clusters: batch.stats.clusters,
      truePersons: batch.truePersons,
      possiblePairs: batch.stats.possiblePairs,
      comparisons: batch.stats.comparisons,
      guardsFired: batch.stats.guardsFired,
      oversizedBlocks: batch.stats.oversizedBlocks,
      rssAfterBatchMB: batch.batchRssMB,
    },
    quality: {
      precision: r3(batch.quality.precision), recall: r3(batch.quality.recall), f1: r3(batch.quality.f1),
      truePairs: batch.quality.truePairs, predictedPairs: batch.quality.predictedPairs, correctPairs: batch.quality.correctPairs,
    },
    blockingRecall: r3(batch.blocking.recall),
    guardViolations: batch.guards,
    review: batch.review,
  } : {}),
  ...(incremental ? {
    incremental: {
      ...incremental, loadSeconds: r3(incremental.loadSeconds), loadCpuSeconds: r3(incremental.loadCpuSeconds),
      seconds: r3(incremental.seconds), cpuSeconds: r3(incremental.cpuSeconds),
    },
  } : {}),
  peakRssMB: Math.round(peakRss / 1048576),
  // High-water marks (getrusage) after each step: the true peak, generation and evaluation included.
  maxRssMB: { ...maxRssAt, end: maxRssMB() },
  loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
}, null, 2));
