import t from 'tap';
import { dedupe, estimateParameters, pairwiseQuality } from '../../../src/pipeline/identity/index.js';
import { generatePopulation } from '../../../src/synth/population.js';

t.test('EM estimates m and u from the data', async (t) => {
  const pop = generatePopulation({ records: 4000, seed: 17 });
  const est = estimateParameters(pop.records, undefined, { randomPairs: 30000, iterations: 10 });
  t.ok(est.blockedPairs > 1000, `blocked pairs ${est.blockedPairs}`);
  t.ok(est.lambda > 0 && est.lambda < 1, `lambda ${est.lambda}`);
  const name = est.config.fields.name;
  t.ok((name.exact?.m ?? 0) > (name.exact?.u ?? 1) * 10, 'exact names far likelier among matches');
  t.ok((name.different?.u ?? 0) > 0.5, 'random pairs mostly have different names');
  for (const [field, levels] of Object.entries(est.config.fields)) {
    const mSum = Object.entries(levels).filter(([l]) => l !== 'missing').reduce((s, [, p]) => s + p.m, 0);
    t.ok(Math.abs(mSum - 1) < 0.01, `${field}: m sums to 1 (${mSum.toFixed(3)})`);
  }
  // The estimated weights give a usable clustering too (guards and rules still apply).
  const truthOf = new Map(pop.records.map((r) => [r.id, r.truthId]));
  const q = pairwiseQuality(truthOf, dedupe(pop.records, est.config).clusterOf);
  t.ok(q.precision > 0.97, `precision with estimated parameters ${q.precision.toFixed(3)}`);
});
