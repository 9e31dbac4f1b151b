import t from 'tap';
import { blockingRecall, dedupe, guardViolations, pairwiseQuality } from '../../../src/pipeline/identity/index.js';
import { generatePopulation } from '../../../src/synth/population.js';

// Floors measured on these seeds (see the bench for 300k) minus a small margin.
const F1_FLOOR = 0.95;
const PRECISION_FLOOR = 0.995;
const BLOCKING_RECALL_FLOOR = 0.98;

for (const seed of [11, 2026]) {
  t.test(`quality on a generated population (seed ${seed})`, async (t) => {
    const pop = generatePopulation({ records: 6000, seed });
    const truthOf = new Map(pop.records.map((r) => [r.id, r.truthId]));
    const result = dedupe(pop.records);
    t.equal(result.clusterOf.size, pop.records.length, 'one cluster id per record');
    const q = pairwiseQuality(truthOf, result.clusterOf);
    t.ok(q.truePairs > 500, `enough true pairs (${q.truePairs})`);
    t.ok(q.f1 >= F1_FLOOR, `F1 ${q.f1.toFixed(4)} >= ${F1_FLOOR}`);
    t.ok(q.precision >= PRECISION_FLOOR, `precision ${q.precision.toFixed(4)} >= ${PRECISION_FLOOR}`);
    const v = guardViolations(pop.records, result.clusterOf, truthOf, pop.forbidden);
    t.equal(v.total, 0, 'no guard violations');
    t.ok(pop.forbidden.length > 10, 'the population has twins and namesake children to keep apart');
    const b = blockingRecall(pop.records, truthOf);
    t.ok(b.recall >= BLOCKING_RECALL_FLOOR, `blocking recall ${b.recall.toFixed(4)}`);
  });
}

t.test('the metrics can fail: merging everything is caught', async (t) => {
  const pop = generatePopulation({ records: 500, seed: 3 });
  const truthOf = new Map(pop.records.map((r) => [r.id, r.truthId]));
  const all = new Map(pop.records.map((r) => [r.id, 'one']));
  const q = pairwiseQuality(truthOf, all);
  t.ok(q.precision < 0.01);
  t.ok(guardViolations(pop.records, all, truthOf, pop.forbidden).total > 0);
});
