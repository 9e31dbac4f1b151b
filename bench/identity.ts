/**
 * Identity engine benchmark: a synthetic Tubaba population with ground truth, batch dedupe and
 * incremental resolve against a full index. Prints one JSON object.
 *   npm run bench:identity -- --records 300000
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  blockingRecall, dedupe, guardViolations, IdentityIndex, nameFrequenciesOf, pairwiseQuality, prepareRecord,
} from '../src/pipeline/identity/index.js';
import { generatePopulation } from '../src/synth/population.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '1812' },
    queries: { type: 'string', default: '50000' },
    noise: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
// `--only batch` or `--only incremental` measures one part in its own process (clean peak RSS).
const doBatch = values.only !== 'incremental';
const doIncremental = values.only !== 'batch';
const n = Number(values.records);
const seed = Number(values.seed);

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
  const truthOf = new Map(pop.records.map((r) => [r.id, r.truthId]));
  const cpu0 = process.cpuUsage();
  const result = dedupe(pop.records, undefined, {
    onProgress: (done, total) => process.stderr.write(`\rbatch ${done}/${total}`),
    progressEvery: 20000,
  });
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stderr.write('\n');
  sampleRss();
  const batchRssMB = Math.round(process.memoryUsage().rss / 1048576);
  const quality = pairwiseQuality(truthOf, result.clusterOf);
  const guards = guardViolations(pop.records, result.clusterOf, truthOf, pop.forbidden);
  const blocking = blockingRecall(pop.records, truthOf);
  return { genSeconds, truePersons: new Set(truthOf.values()).size, stats: result.stats, quality, guards, blocking, batchRssMB, cpuSeconds };
}

const batch = doBatch ? runBatch() : null;

/** Incremental part: an index of n citizens, then fresh records of the same population (some of
 * them the same people) resolved against it. */
function runIncremental() {
  const nQueries = Number(values.queries);
  const fresh = generatePopulation({ records: n + nQueries, seed: seed + 1, noise: Number(values.noise) }).records;
  const prepared = fresh.slice(0, n).map(prepareRecord);
  const index = new IdentityIndex(undefined, { frequencies: nameFrequenciesOf(prepared) });
  const tLoad = performance.now();
  prepared.forEach((p, i) => index.addPrepared(`C${i}`, p));
  prepared.length = 0;
  const loadSeconds = (performance.now() - tLoad) / 1000;
  sampleRss();
  const queries = fresh.slice(n);
  fresh.length = 0;
  const tRes = performance.now();
  const cpu0 = process.cpuUsage();
  let matched = 0;
  for (const q of queries) if (index.resolve(q).outcome === 'match') matched++;
  const resolveSeconds = (performance.now() - tRes) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  sampleRss();
  return {
    indexCitizens: index.citizenCount,
    loadSeconds,
    resolves: queries.length,
    seconds: resolveSeconds,
    recordsPerSecond: Math.round(queries.length / resolveSeconds),
    // CPU time of this process (all its threads): what the wall clock would show on an idle machine, or more.
    cpuSeconds,
    recordsPerCpuSecond: Math.round(queries.length / cpuSeconds),
    matched,
    rssMB: Math.round(process.memoryUsage().rss / 1048576),
  };
}

const incremental = doIncremental ? runIncremental() : null;
clearInterval(timer);

const r3 = (x: number) => Math.round(x * 1000) / 1000;
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
  } : {}),
  ...(incremental ? {
    incremental: {
      ...incremental, loadSeconds: r3(incremental.loadSeconds), seconds: r3(incremental.seconds), cpuSeconds: r3(incremental.cpuSeconds),
    },
  } : {}),
  peakRssMB: Math.round(peakRss / 1048576),
  loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
}, null, 2));
