import t from 'tap';
import { ExactColumns } from '../../../src/pipeline/identity/columns.js';
import { compareExact, type Comparison } from '../../../src/pipeline/identity/compare.js';
import { defaultIdentityConfig, weightTable } from '../../../src/pipeline/identity/config.js';
import { nameFrequenciesOf, prepareRecord } from '../../../src/pipeline/identity/index.js';
import { reachOf, scorePair } from '../../../src/pipeline/identity/score.js';
import { generatePopulation } from '../../../src/synth/population.js';

t.test('a record\'s row of integers compares as its fields do, and never under-reaches the full score', async (t) => {
  const { records } = generatePopulation({ records: 3000, seed: 4242, noise: 1.5 });
  const prepared = records.map(prepareRecord);
  const config = defaultIdentityConfig;
  const weights = weightTable(config);
  const ctx = { config, weights, frequencies: nameFrequenciesOf(prepared) };
  const columns = new ExactColumns(weights, reachOf(ctx));
  prepared.forEach((p, i) => columns.set(i, p));
  const fields = ['nik', 'birthDate', 'sex', 'kk', 'village', 'address', 'religion', 'occupation'] as const;
  const cmp = {} as Comparison;
  let pairs = 0;
  let levelMismatches = 0;
  let underReach = 0;
  let ruledOut = 0;
  // Queries include records the index does not hold (values it never interned).
  const queries = [...prepared.slice(0, 150), ...generatePopulation({ records: 100, seed: 7, noise: 1.5 }).records.map(prepareRecord)];
  for (const q of queries) {
    columns.setQuery(q);
    for (let i = 0; i < prepared.length; i += 3) {
      const r = prepared[i]!;
      const reach = columns.compare(i, cmp);
      const want = compareExact(q, r);
      for (const f of fields) if (cmp[f] !== want[f]) levelMismatches++;
      const score = scorePair(q, r, ctx).score;
      if (reach < score - 1e-9) underReach++;
      if (reach < config.thresholds.possible) ruledOut++;
      pairs++;
    }
  }
  t.equal(levelMismatches, 0, `levels agree on ${pairs} pairs`);
  t.equal(underReach, 0, 'the bound is never below the score');
  t.ok(ruledOut > pairs / 2, `most strangers are ruled out on their row (${ruledOut} of ${pairs})`);
});
