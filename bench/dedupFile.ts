/**
 * The `tiyuh-hub dedup` command end to end on a synthetic Tubaba population: writes the records as
 * an NDJSON file (ground truth kept aside), runs the command as a user would (its own process, so
 * start-up, reading and writing count, and its peak memory is its own), then scores its output.
 *   npm run bench:dedup-file -- --records 300000 [--seed 1812] [--noise 1]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pairwiseQuality } from '../src/pipeline/identity/index.js';
import { generatePopulation } from '../src/synth/population.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '1812' },
    noise: { type: 'string', default: '1' },
  },
});
const dir = mkdtempSync(path.join(tmpdir(), 'tiyuh-dedup-'));
const inPath = path.join(dir, 'people.ndjson');
const outPath = path.join(dir, 'clusters.ndjson');
const reviewPath = path.join(dir, 'review.ndjson');
try {
  const pop = generatePopulation({ records: Number(values.records), seed: Number(values.seed), noise: Number(values.noise) });
  const truthOf = new Map<string, string>();
  const lines: string[] = [];
  for (const r of pop.records) {
    truthOf.set(r.id, r.truthId);
    // Only the fields of the command's contract: the truth and the generator's extras stay here.
    lines.push(JSON.stringify({
      id: r.id, fullName: r.fullName, nik: r.nik, kk: r.kk, sex: r.sex, birthDate: r.birthDate, birthPlace: r.birthPlace,
      motherName: r.motherName, address: r.address, villageCode: r.villageCode, religion: r.religion, occupation: r.occupation,
    }));
  }
  writeFileSync(inPath, `${lines.join('\n')}\n`);
  lines.length = 0;
  const bin = fileURLToPath(new URL('../bin/tiyuh-hub.js', import.meta.url));
  const args = [bin, 'dedup', '--in', inPath, '--out', outPath, '--review', reviewPath];
  // GNU time reports the command's own peak memory (getrusage of the child); without it, time alone.
  const t0 = performance.now();
  let run = spawnSync('/usr/bin/time', ['-f', 'maxrss %M', process.execPath, ...args], { encoding: 'utf8' });
  if (run.error) run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const seconds = Math.round((performance.now() - t0) / 10) / 100;
  if (run.status !== 0) throw new Error(`dedup failed: ${run.stderr}`);
  const err = run.stderr.trim().split(/[\r\n]+/);
  const rss = /^maxrss (\d+)$/.exec(err.at(-1) ?? '');
  const maxRssMB = rss ? Math.round(Number(rss[1]) / 1024) : null;
  const summary = err.filter((l) => l.startsWith('dedup: summary')).at(-1) ?? '';
  const clusterOf = new Map<string, string>();
  for (const line of readFileSync(outPath, 'utf8').split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line) as { id: string; clusterId: string };
    clusterOf.set(o.id, o.clusterId);
  }
  const q = pairwiseQuality(truthOf, clusterOf);
  const r3 = (x: number) => Math.round(x * 10000) / 10000;
  console.log(JSON.stringify({
    records: pop.records.length, seed: Number(values.seed), noise: Number(values.noise),
    command: { seconds, maxRssMB, summary, outputLines: clusterOf.size },
    quality: { precision: r3(q.precision), recall: r3(q.recall), f1: r3(q.f1), truePairs: q.truePairs, predictedPairs: q.predictedPairs, correctPairs: q.correctPairs },
  }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
