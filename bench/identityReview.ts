/**
 * The review queue of a batch dedupe, broken down: which kinds of pairs open cases, and how many of
 * them are one person (generator truth). Categories and counts only, never a record's values.
 *   npx tsx bench/identityReview.ts --records 300000 --seed 1812 [--top 30] [--by guards,nik,name,...]
 * A case is a record left with review pairs (the pipeline opens one per record); it counts as true
 * when any of its pairs is one person. Cases are grouped by their first (highest-scoring) pair.
 */
import { parseArgs } from 'node:util';
import { dedupe, resolveConfig } from '../src/pipeline/identity/index.js';
import type { PairDecision } from '../src/pipeline/identity/index.js';
import { generatePopulation } from '../src/synth/population.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '50000' },
    seed: { type: 'string', default: '1812' },
    noise: { type: 'string', default: '1' },
    top: { type: 'string', default: '30' },
    // Fields whose comparison level makes the category, besides the guards and the score band.
    by: { type: 'string', default: 'nik,name,birthDate,sex,motherName,kk,village,address' },
    learn: { type: 'boolean', default: false },
  },
});
const pop = generatePopulation({ records: Number(values.records), seed: Number(values.seed), noise: Number(values.noise) });
const truthOf = new Map(pop.records.map((r) => [r.id, r.truthId]));
const result = dedupe(pop.records, undefined, { learn: values.learn });
const config = resolveConfig();
const fields = (values.by ?? '').split(',').filter(Boolean);

function category(d: PairDecision): string {
  const guards = [...new Set(d.evidence.guards.map((g) => g.guard))].sort().join('+') || 'none';
  const band = d.score >= config.thresholds.match ? 'high' : 'mid';
  const lv = fields.map((f) => {
    const e = d.evidence.fields.find((x) => x.field === f);
    return `${f}=${e ? e.level : '?'}${e?.note ? '*' : ''}`;
  });
  return `${band} g:${guards} ${lv.join(' ')}`;
}

const caseFirst = new Map<string, PairDecision>();
const caseTrue = new Map<string, boolean>();
for (const d of result.possible) {
  if (!caseFirst.has(d.a)) caseFirst.set(d.a, d);
  caseTrue.set(d.a, (caseTrue.get(d.a) ?? false) || truthOf.get(d.a) === truthOf.get(d.b));
}
const byCat = new Map<string, { cases: number; trueCases: number }>();
for (const [a, d] of caseFirst) {
  const c = category(d);
  const e = byCat.get(c) ?? { cases: 0, trueCases: 0 };
  e.cases++;
  if (caseTrue.get(a)) e.trueCases++;
  byCat.set(c, e);
}
const total = caseFirst.size;
const trueTotal = [...caseTrue.values()].filter(Boolean).length;
console.log(`records ${pop.records.length} cases ${total} (${((total * 1000) / pop.records.length).toFixed(2)}/1000) true ${trueTotal} (${(trueTotal / Math.max(1, total)).toFixed(3)})`);
console.log('false\ttrue\tcategory (first pair of the case; * = a rule note on that field)');
for (const [c, e] of [...byCat].sort((x, y) => (y[1].cases - y[1].trueCases) - (x[1].cases - x[1].trueCases)).slice(0, Number(values.top))) {
  console.log(`${e.cases - e.trueCases}\t${e.trueCases}\t${c}`);
}
