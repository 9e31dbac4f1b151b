/**
 * Match-quality analysis: the true pairs the batch dedupe left apart (false negatives) and the
 * wrongly linked pairs (false positives), grouped by why, with examples. For deciding whether a miss
 * is the engine's fault or the generator's.
 *   npx tsx bench/identityMisses.ts --records 50000 [--examples 3] [--category name=different]
 */
import { parseArgs } from 'node:util';
import {
  decide, dedupe, nameFrequenciesOf, prepareRecord, resolveConfig, scorePair, weightTable, type PreparedRecord,
} from '../src/pipeline/identity/index.js';
import { generatePopulation } from '../src/synth/population.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '50000' },
    seed: { type: 'string', default: '1812' },
    noise: { type: 'string', default: '1' },
    examples: { type: 'string', default: '3' },
    category: { type: 'string' },
    dump: { type: 'string' },
  },
});
const pop = generatePopulation({ records: Number(values.records), seed: Number(values.seed), noise: Number(values.noise) });
const result = dedupe(pop.records);
const prepared = new Map(pop.records.map((r) => [r.id, prepareRecord(r)]));
const config = resolveConfig();
const ctx = { config, weights: weightTable(config), frequencies: nameFrequenciesOf(prepared.values()) };

/** Why two records whose pair would match ended in different clusters. */
function whyApart(a: PreparedRecord, b: PreparedRecord): string {
  const ca = members(a);
  const cb = members(b);
  const reasons = new Set<string>();
  for (const x of ca) for (const y of cb) {
    const sp = scorePair(x, y, ctx);
    if (sp.score < config.thresholds.possible) reasons.add('member scores low');
    for (const g of sp.guards) reasons.add(`member guard ${g.guard}`);
    if (sp.guards.length === 0 && sp.score >= config.thresholds.possible && decide(sp, [], config) !== 'match') reasons.add('member only possible');
  }
  return reasons.size > 0 ? [...reasons].sort().join('+') : 'blocking or order';
}

function members(p: PreparedRecord): PreparedRecord[] {
  return byCluster.get(result.clusterOf.get(p.rec.id) as string) ?? [];
}

/** A false negative by what kept it apart; a false positive by the evidence of its pair. */
function categorize(a: PreparedRecord, b: PreparedRecord, linked: boolean): { cat: string; line: string } {
  const sp = scorePair(a, b, ctx);
  const out = decide(sp, sp.guards, config);
  let cat: string;
  if (linked) {
    const c = sp.cmp;
    cat = `${out}: nik=${c.nik},name=${c.name},date=${c.birthDate},mother=${c.motherName},kk=${c.kk},village=${c.village}`;
  } else if (sp.guards.length > 0 && sp.score >= config.thresholds.match) cat = `guard:${sp.guards.map((g) => g.guard).join('+')}`;
  else if (out === 'match') cat = `pair-matches: ${whyApart(a, b)}`;
  else if (sp.score >= config.thresholds.match) cat = `rule:nik=${sp.cmp.nik},name=${sp.cmp.name},date=${sp.cmp.birthDate}`;
  else cat = `low:name=${sp.cmp.name},date=${sp.cmp.birthDate},nik=${sp.cmp.nik}`;
  const r = (p: PreparedRecord) =>
    `${p.rec.fullName} | ${p.rec.nik ?? '-'} | ${p.rec.birthDate ?? '-'} | ${p.rec.sex ?? '-'} | m:${p.rec.motherName ?? '-'} | ${p.rec.villageCode} | kk ${p.rec.kk}`;
  const lvls = Object.entries(sp.cmp).map(([k, v]) => `${k}=${v}`).join(' ');
  return { cat, line: `  score ${sp.score.toFixed(1)} ${out}\n    A ${r(a)}\n    B ${r(b)}\n    ${lvls}` };
}

function report(title: string, pairs: Array<[PreparedRecord, PreparedRecord]>, linked: boolean): void {
  const byCat = new Map<string, string[]>();
  for (const [a, b] of pairs) {
    const { cat, line } = categorize(a, b, linked);
    const l = byCat.get(cat);
    if (l) l.push(line);
    else byCat.set(cat, [line]);
  }
  console.log(`\n== ${title}: ${pairs.length} pairs`);
  const ex = Number(values.examples);
  for (const [cat, lines] of [...byCat].sort((x, y) => y[1].length - x[1].length)) {
    if (values.category && !cat.includes(values.category)) {
      if (!values.category) continue;
      console.log(`${lines.length}\t${cat}`);
      continue;
    }
    console.log(`${lines.length}\t${cat}`);
    for (const l of lines.slice(0, values.category ? 40 : ex)) console.log(l);
  }
}

const byTruth = new Map<string, PreparedRecord[]>();
for (const p of prepared.values()) {
  const t = (p.rec as { truthId?: string }).truthId as string;
  const l = byTruth.get(t);
  if (l) l.push(p);
  else byTruth.set(t, [p]);
}
const fn: Array<[PreparedRecord, PreparedRecord]> = [];
for (const members of byTruth.values()) {
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      const a = members[i] as PreparedRecord;
      const b = members[j] as PreparedRecord;
      if (result.clusterOf.get(a.rec.id) !== result.clusterOf.get(b.rec.id)) fn.push([a, b]);
    }
  }
}
const byCluster = new Map<string, PreparedRecord[]>();
for (const p of prepared.values()) {
  const c = result.clusterOf.get(p.rec.id) as string;
  const l = byCluster.get(c);
  if (l) l.push(p);
  else byCluster.set(c, [p]);
}
const fp: Array<[PreparedRecord, PreparedRecord]> = [];
for (const members of byCluster.values()) {
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      const a = members[i] as PreparedRecord;
      const b = members[j] as PreparedRecord;
      if ((a.rec as { truthId?: string }).truthId !== (b.rec as { truthId?: string }).truthId) fp.push([a, b]);
    }
  }
}
if (values.dump) {
  const { writeFileSync } = await import('node:fs');
  const line = ([a, b]: [PreparedRecord, PreparedRecord]) => `${a.rec.id} ${b.rec.id}`;
  writeFileSync(values.dump, [...fn.map((p) => `FN ${line(p)}`), ...fp.map((p) => `FP ${line(p)}`)].sort().join('\n') + '\n');
}
report('false negatives (same person, apart)', fn, false);
report('false positives (different people, linked)', fp, true);
