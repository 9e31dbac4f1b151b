import t from 'tap';
import { dedupe, estimateParameters, formatEstimate, pairwiseQuality, resolveConfig } from '../../../src/pipeline/identity/index.js';
import { generatePopulation } from '../../../src/synth/population.js';

t.test('EM estimates m and u from the data', async (t) => {
  const pop = generatePopulation({ records: 4000, seed: 17 });
  const est = estimateParameters(pop.records, undefined, { randomPairs: 30000, iterations: 10 });
  t.ok(est.learned);
  // Training pairs are blocked on rules that make most of them one person (NIK, name with date ...).
  t.ok(est.blockedPairs > 300, `blocked pairs ${est.blockedPairs}`);
  t.ok(est.lambda > 0 && est.lambda < 1, `lambda ${est.lambda}`);
  const name = est.config.fields.name;
  t.ok((name.exact?.m ?? 0) > (name.exact?.u ?? 1) * 10, 'exact names far likelier among matches');
  t.ok((name.different?.u ?? 0) > 0.5, 'random pairs mostly have different names');
  for (const [field, levels] of Object.entries(est.config.fields)) {
    const mSum = Object.entries(levels).filter(([l]) => l !== 'missing').reduce((s, [, p]) => s + p.m, 0);
    t.ok(Math.abs(mSum - 1) < 0.01, `${field}: m sums to 1 (${mSum.toFixed(3)})`);
  }
  // It does not collapse onto households: a different NIK or birth date stays strong evidence
  // against, though siblings fill the blocked pairs.
  t.ok((est.config.fields.nik.different?.m ?? 1) < 0.25, `m(NIK different) ${est.config.fields.nik.different?.m}`);
  t.ok((est.config.fields.birthDate.different?.m ?? 1) < 0.15, `m(date different) ${est.config.fields.birthDate.different?.m}`);
  // The estimated weights give a usable clustering too (guards and rules still apply).
  const truthOf = new Map(pop.records.map((r) => [r.id, r.truthId]));
  const q = pairwiseQuality(truthOf, dedupe(pop.records, est.config).clusterOf);
  t.ok(q.precision > 0.99, `precision with estimated parameters ${q.precision.toFixed(3)}`);
  const text = formatEstimate(est);
  t.match(text, /parameters learned from 4000 records/);
  t.match(text, /^postcode\s+same/m);
});

t.test('too small an input keeps the hand values', async (t) => {
  const pop = generatePopulation({ records: 300, seed: 5 });
  const est = estimateParameters(pop.records);
  t.notOk(est.learned);
  t.same(est.config.fields, resolveConfig().fields);
  t.match(formatEstimate(est), /hand values are used/);
  const viaBatch = dedupe(pop.records, undefined, { learn: true });
  t.equal(viaBatch.estimate?.learned, false);
});
