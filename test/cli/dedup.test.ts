import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

/** Runs the command with stderr captured. */
async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(['dedup', ...argv]);
    return { code, stderr: chunks.join('') };
  } finally {
    process.stderr.write = orig;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'dedup-'));
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);

const good = [
  { id: 'r1', fullName: 'Ahmad Fauzi', nik: '1812051708850003', sex: 'M', birthDate: '1985-08-17', villageCode: '1812012002', motherName: 'Siti Aminah' },
  { id: 'r2', fullName: 'H. ACHMAD FAUZI', nik: '1812051708850003', sex: 'M', birthDate: '1985-08-17', villageCode: '1812022003' },
  { id: 'r3', fullName: 'Sri Wahyuni', sex: 'F', birthDate: '1979-04-21', villageCode: '1812012002' },
  { id: 'r4', fullName: 'Ahmad Fauzi', nik: '1812051708850004', sex: 'M', birthDate: '1985-08-17', villageCode: '1812012002', motherName: 'Siti Aminah' },
];

t.test('one output line per valid id, clusters and review pairs', async (t) => {
  const inPath = join(dir, 'in.ndjson');
  writeFileSync(inPath, good.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const out = join(dir, 'out.ndjson');
  const review = join(dir, 'review.ndjson');
  const { code, stderr } = await run(['--in', inPath, '--out', out, '--review', review]);
  t.equal(code, 0);
  const rows = lines(out);
  t.same(rows.map((r) => r.id), ['r1', 'r2', 'r3', 'r4']);
  const cluster = new Map(rows.map((r) => [r.id, r.clusterId]));
  t.equal(cluster.get('r2'), cluster.get('r1'));
  t.not(cluster.get('r3'), cluster.get('r1'));
  t.not(cluster.get('r4'), cluster.get('r1'), 'another valid NIK is not auto-merged');
  const pairs = lines(review);
  t.ok(pairs.some((p) => p.a === 'r4'), 'r4 goes to review');
  const ev = pairs[0]?.evidence as { fields: unknown[]; score: number; guards: unknown[] } | undefined;
  t.ok(ev && ev.fields.length > 0 && typeof ev.score === 'number' && Array.isArray(ev.guards), 'with evidence');
  t.match(stderr, /summary: 4 records, 3 clusters, \d+ possible pairs, 0 malformed lines/);
});

t.test('malformed lines are reported and left out; a bad field is left out of a record that is kept', async (t) => {
  // Issue 13 changes the rule: a record with an impossible date or an absurd field used to be
  // dropped whole; now only the field is, and the record links on the others.
  const inPath = join(dir, 'bad.ndjson');
  writeFileSync(inPath, [
    JSON.stringify(good[0]),
    '{not json',
    JSON.stringify({ id: 'x', fullName: '' }),
    JSON.stringify(good[2]),
    JSON.stringify({ ...good[2], fullName: 'Duplicate Id' }),
    JSON.stringify({ id: 'd', fullName: 'Bad Date', birthDate: '1985-02-30' }),
    JSON.stringify({ id: 'n', fullName: 'Numeric NIK', nik: 1812051708850003 }),
    '',
    JSON.stringify({ id: 's', fullName: 'Bad Sex', sex: 'L' }),
    JSON.stringify({ fullName: 'No Id' }),
  ].join('\n'));
  const out = join(dir, 'bad-out.ndjson');
  const { code, stderr } = await run(['--in', inPath, '--out', out]);
  t.equal(code, 3, 'done, but not clean: a script must not take a partial result for a whole one');
  t.same(lines(out).map((r) => r.id), ['r1', 'x', 'r3', 'd', 'n', 's']);
  for (const n of [2, 5, 10]) t.match(stderr, new RegExp(`line ${n}: malformed`), `line ${n} reported as malformed`);
  t.match(stderr, /line 3: field fullName left out/);
  t.match(stderr, /line 6: field birthDate left out/);
  t.match(stderr, /line 7: field nik left out/);
  t.match(stderr, /line 9: field sex left out/);
  t.notMatch(stderr, /1985-02-30/, 'the bad value (personal data) is not printed');
  t.notMatch(stderr, /line 8: /, 'blank lines are skipped');
  t.match(stderr, /duplicate id "r3"/);
  t.match(stderr, /3 malformed lines/);
});

t.test('a record with an impossible birth date links on its other fields', async (t) => {
  const inPath = join(dir, 'impossible.ndjson');
  writeFileSync(inPath, [
    JSON.stringify({ id: 'a', fullName: 'Sumarni', nik: '1812054304450002', sex: 'F', birthDate: '1945-04-03', motherName: 'Painem', kk: '1812050101090001' }),
    JSON.stringify({ id: 'b', fullName: 'Sumarni', nik: '1812054304450002', sex: 'F', birthDate: '1945-04-93', motherName: 'Painem', kk: '1812050101090001' }),
  ].join('\n'));
  const out = join(dir, 'impossible-out.ndjson');
  const { code, stderr } = await run(['--in', inPath, '--out', out]);
  t.equal(code, 0);
  const rows = lines(out);
  t.equal(rows[1]?.clusterId, rows[0]?.clusterId, 'linked on NIK, name, mother and KK');
  t.match(stderr, /line 2: field birthDate left out/);
  const strictOut = join(dir, 'impossible-strict.ndjson');
  const strict = await run(['--in', inPath, '--out', strictOut, '--strict']);
  t.not(strict.code, 0, '--strict fails the run on a bad field');
  t.throws(() => readFileSync(strictOut), 'nothing written under --strict');
});

t.test('--strict exits non-zero on a malformed line and writes nothing', async (t) => {
  const inPath = join(dir, 'strict.ndjson');
  writeFileSync(inPath, `${JSON.stringify(good[0])}\n{broken\n${JSON.stringify(good[2])}\n`);
  const out = join(dir, 'strict-out.ndjson');
  const { code, stderr } = await run(['--in', inPath, '--out', out, '--strict']);
  t.not(code, 0);
  t.match(stderr, /line 2: malformed/);
  t.throws(() => readFileSync(out), 'no output file');
});

t.test('CSV input with a header (by extension and by content)', async (t) => {
  const csv = [
    'id,fullName,nik,sex,birthDate,villageCode,motherName',
    'c1,"Fauzi, Ahmad",,M,1985-08-17,1812012002,Siti Aminah',
    'c2,Ahmad Fauzi,1812051708850003,M,1985-08-17,1812012002,Siti Aminah',
    'c3,H. Ahmad Fauzi,1812051708850003,M,1985-08-17,1812042003,',
    'c4,too,few',
  ].join('\n');
  for (const name of ['in.csv', 'in-csv.txt']) {
    const inPath = join(dir, name);
    writeFileSync(inPath, csv);
    const out = join(dir, `${name}.out`);
    const { code, stderr } = await run(['--in', inPath, '--out', out]);
    t.equal(code, 3, name);
    const rows = lines(out);
    t.same(rows.map((r) => r.id), ['c1', 'c2', 'c3'], name);
    const cluster = new Map(rows.map((r) => [r.id, r.clusterId]));
    t.equal(cluster.get('c3'), cluster.get('c2'), `${name}: same NIK and name`);
    t.match(stderr, /line 5: malformed: expected 7 columns/);
  }
});

t.test('usage errors', async (t) => {
  t.equal((await run([])).code, 2, '--in and --out are required');
  t.equal((await run(['--in', 'x'])).code, 2);
  t.equal((await run(['--bogus'])).code, 2);
  t.equal((await run(['--in', join(dir, 'missing.ndjson'), '--out', join(dir, 'o')])).code, 2);
});
