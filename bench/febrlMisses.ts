/**
 * FEBRL misses by category: the true pairs `bench:febrl` leaves apart, grouped by what kept them
 * apart (blocking, a score below review, a review-level score, a guard, a decision rule, the
 * cluster), with examples. Same learning as `tiyuh-hub dedup --learn`.
 *   npx tsx bench/febrlMisses.ts --dir /path/to/febrl [--set 3|4] [--examples 3] [--category low]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  blockKeys, decide, dedupe, estimateParameters, nameFrequenciesOf, parseDate, prepareRecord, scorePair, weightTable,
  type PersonRecord, type PreparedRecord,
} from '../src/pipeline/identity/index.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: process.env.FEBRL_DIR ?? '' },
    set: { type: 'string', default: '4' },
    examples: { type: 'string', default: '3' },
    category: { type: 'string' },
  },
});

function read(file: string): (PersonRecord & { truth: string })[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
  const col = (n: string) => header.indexOf(n);
  return lines.map((line) => {
    const c = line.split(',').map((s) => s.trim());
    const g = (n: string) => c[col(n)] ?? '';
    const dob = g('date_of_birth');
    const iso = /^\d{8}$/.test(dob) ? `${dob.slice(0, 4)}-${dob.slice(4, 6)}-${dob.slice(6, 8)}` : dob;
    return {
      id: g('rec_id'), truth: (/^rec-(\d+)-/.exec(g('rec_id')) as RegExpExecArray)[1] as string,
      fullName: [g('given_name'), g('surname')].filter((s) => s).join(' '),
      birthDate: parseDate(iso) ? iso : null,
      address: [g('street_number'), g('address_1'), g('address_2')].filter((s) => s).join(' '),
      locality: [g('suburb'), g('state')].filter((s) => s).join(' '),
      postcode: g('postcode'),
    };
  });
}

const files = values.set === '3' ? ['dataset3.csv'] : ['dataset4a.csv', 'dataset4b.csv'];
const sets = files.map((f) => read(path.join(values.dir, f)));
const records = sets.flat();
const fileOf = new Map<string, number>();
sets.forEach((s, i) => s.forEach((r) => fileOf.set(r.id, i)));
const result = dedupe(records, undefined, { learn: true });
const config = result.estimate?.config ?? (() => { throw new Error('nothing learned'); })();
const prepared = new Map(records.map((r) => [r.id, prepareRecord(r)]));
const ctx = { config, weights: weightTable(config), frequencies: nameFrequenciesOf(prepared.values()) };
void estimateParameters;

function sharedBlockWeight(a: PreparedRecord, b: PreparedRecord): number {
  const ka = blockKeys(a);
  const kb = blockKeys(b);
  let w = 0;
  const seen = new Set<number>();
  for (let i = 0; i < ka.keys.length; i++) {
    const k = ka.keys[i] as number;
    if (seen.has(k)) continue;
    seen.add(k);
    const j = kb.keys.indexOf(k);
    if (j >= 0) w += ka.weights[i] as number;
  }
  return w;
}

const truthOf = new Map(records.map((r) => [r.id, r.truth]));
const byTruth = new Map<string, PreparedRecord[]>();
for (const p of prepared.values()) {
  const t = truthOf.get(p.rec.id) as string;
  byTruth.set(t, [...(byTruth.get(t) ?? []), p]);
}
const byCat = new Map<string, string[]>();
let total = 0;
for (const ms of byTruth.values()) {
  for (let i = 0; i < ms.length; i++) for (let j = i + 1; j < ms.length; j++) {
    const a = ms[i] as PreparedRecord;
    const b = ms[j] as PreparedRecord;
    if (files.length === 2 && fileOf.get(a.rec.id) === fileOf.get(b.rec.id)) continue;
    if (result.clusterOf.get(a.rec.id) === result.clusterOf.get(b.rec.id)) continue;
    total++;
    const sp = scorePair(a, b, ctx);
    const out = decide(sp, sp.guards, config);
    const c = sp.cmp;
    const lv = `name=${c.name} date=${c.birthDate} addr=${c.address} loc=${c.locality} pc=${c.postcode}`;
    let cat: string;
    if (sharedBlockWeight(a, b) < 2) cat = 'blocking';
    else if (sp.score < config.thresholds.possible) cat = 'low';
    else if (sp.score < config.thresholds.match) cat = 'possible';
    else if (sp.guards.length > 0) cat = `guard:${sp.guards.map((g) => g.guard).join('+')}`;
    else if (out !== 'match') cat = 'rule';
    else cat = 'cluster/order';
    const key = `${cat} | name=${c.name} date=${c.birthDate}`;
    const line = `  ${sp.score.toFixed(1)} ${lv}\n    A ${a.rec.fullName} | ${a.rec.birthDate} | ${a.rec.address} | ${a.rec.locality} | ${a.rec.postcode}\n    B ${b.rec.fullName} | ${b.rec.birthDate} | ${b.rec.address} | ${b.rec.locality} | ${b.rec.postcode}`;
    byCat.set(key, [...(byCat.get(key) ?? []), line]);
  }
}
console.log(`missed pairs: ${total}`);
const top = new Map<string, number>();
for (const [k, l] of byCat) top.set(k.split(' | ')[0] as string, (top.get(k.split(' | ')[0] as string) ?? 0) + l.length);
console.log([...top].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${n}\t${k}`).join('\n'));
for (const [cat, lines] of [...byCat].sort((x, y) => y[1].length - x[1].length)) {
  if (values.category && !cat.includes(values.category)) continue;
  console.log(`${lines.length}\t${cat}`);
  for (const l of lines.slice(0, Number(values.examples))) console.log(l);
}
