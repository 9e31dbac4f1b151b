/**
 * Estimating Fellegi–Sunter parameters from the data being linked, as Splink does: u from random
 * pairs (almost all of them different people), m by expectation–maximisation over blocked
 * candidate pairs with u held fixed. The hand values are the prior: each level's m and u are
 * pulled towards them by pseudo-counts, so a level the data barely shows keeps its hand value and
 * EM cannot collapse onto a household (siblings share KK, address and mother), and they are the
 * fallback for inputs too small to learn from. Estimation is an explicit step (a command, a
 * schedule), never part of resolving a record.
 */
import { compareRecords, FIELDS, type Comparison } from './compare.js';
import {
  resolveConfig, weightTable, type DeepPartial, type FieldLevels, type IdentityConfig, type LevelProbability,
} from './config.js';
import { rngFor } from './random.js';
import { prepareRecord, type PreparedRecord } from './prepare.js';
import type { FieldName, PersonRecord } from './types.js';

export interface EstimateOptions {
  randomPairs?: number;
  maxBlockedPairs?: number;
  iterations?: number;
  seed?: number;
  /** Pseudo-counts of the hand m values per field (how many matched pairs the prior is worth). */
  mPrior?: number;
  /** Pseudo-counts of the hand u values per field. */
  uPrior?: number;
  /** Below this many records the hand values are returned unchanged. */
  minRecords?: number;
}

/** One level's learned and prior values, for `--explain-params` and the parameter log. */
export interface LevelReport {
  field: FieldName;
  level: string;
  m: number;
  u: number;
  weight: number;
  priorWeight: number;
  /** Blocked pairs (expected matches) and random pairs seen at this level. */
  matchedPairs: number;
  randomPairs: number;
}

export interface EstimateResult {
  config: IdentityConfig;
  /** Estimated share of blocked pairs that are the same person. */
  lambda: number;
  blockedPairs: number;
  randomPairs: number;
  records: number;
  iterations: number;
  /** False when the input was too small and the hand values were kept. */
  learned: boolean;
  levels: LevelReport[];
}

const FLOOR = 1e-6;
const MIN_RECORDS = 2000;
const MIN_BLOCKED_PAIRS = 500;
/**
 * Bounds of the share of blocked pairs that match: outside them EM has found something else than
 * people (every pair, or none).
 */
const LAMBDA_MIN = 1e-3;
const LAMBDA_MAX = 0.95;
/**
 * How far a person field's m may move from its hand value (either way). Namesakes and relatives
 * fill blocked pairs; unbounded, EM lets each iteration take a few more of them for matches (the
 * m of "different NIK" and "different date" creeping up) until it describes families.
 */
const M_BOUND = 4;

/**
 * The fields of the person, whose agreement says "this person": the E-step weighs pairs by them
 * alone. The others (KK, mother, address, village, birthplace, occupation ...) are shared by a
 * household or a village; weighed in, a family's records agree on so many of them that EM takes
 * "one household" for "one person" (every sibling pair a match). Their m is still learned, from
 * the pairs the person's fields say match.
 */
const PERSON_FIELDS: ReadonlySet<FieldName> = new Set(['nik', 'name', 'birthDate', 'sex']);

/**
 * Fields a training key holds equal, by the key's first letter: their m is not learned from the
 * pairs it brings (they agree by construction), as Splink does.
 */
const KEY_FIELDS: Record<string, readonly FieldName[]> = {
  n: ['nik'], d: ['birthDate', 'name'], p: ['birthDate'], a: ['birthDate', 'address'], c: ['birthDate', 'postcode'],
};

/** NIK; name with birth date; a distinctive name part with birth date; birth date with address or postcode. */
function trainingKeys(p: PreparedRecord): string[] {
  const out: string[] = [];
  const b = p.birth;
  if (b) {
    const date = `${b.y}-${b.m}-${b.d}`;
    if (p.name.phonJoined.length > 0) out.push(`d${date}|${p.name.phonJoined}`);
    for (const part of p.name.distinctive) out.push(`p${date}|${part}`);
    if (p.address) out.push(`a${date}|${p.address}`);
    if (p.postcode) out.push(`c${date}|${p.postcode}`);
  }
  if (p.nik?.digits) out.push(`n${p.nik.digits}`);
  return out;
}

function levelsOf(c: Comparison): string[] {
  return FIELDS.map((f) => c[f as keyof Comparison]);
}

/** The hand values of a field, normalized over its levels (missing excluded). */
function normalizedPrior(levels: FieldLevels, key: 'm' | 'u'): Map<string, number> {
  const out = new Map<string, number>();
  let sum = 0;
  for (const [l, p] of Object.entries(levels)) if (l !== 'missing') sum += p[key];
  for (const [l, p] of Object.entries(levels)) if (l !== 'missing') out.set(l, sum > 0 ? p[key] / sum : 0);
  return out;
}

export function estimateParameters(
  records: PersonRecord[] | PreparedRecord[],
  base?: DeepPartial<IdentityConfig> | IdentityConfig,
  options: EstimateOptions = {},
): EstimateResult {
  const config = resolveConfig(base as DeepPartial<IdentityConfig> | undefined);
  const prepared: PreparedRecord[] = (records as (PersonRecord | PreparedRecord)[]).map((r) =>
    'rec' in r && 'name' in r && typeof (r as PreparedRecord).name === 'object' ? (r as PreparedRecord) : prepareRecord(r as PersonRecord));
  const n = prepared.length;
  const fieldCount = FIELDS.length;
  const priorW = weightTable(config);
  const report = (fields: Record<FieldName, FieldLevels>, mSeen: Map<string, number>[], uSeen: Map<string, number>[]): LevelReport[] => {
    const w = weightTable({ ...config, fields });
    const out: LevelReport[] = [];
    FIELDS.forEach((f, fi) => {
      for (const [level, p] of Object.entries(fields[f])) {
        if (level === 'missing') continue;
        out.push({
          field: f, level, m: p.m, u: p.u, weight: w[f][level] ?? 0, priorWeight: priorW[f][level] ?? 0,
          matchedPairs: Math.round(mSeen[fi]?.get(level) ?? 0), randomPairs: uSeen[fi]?.get(level) ?? 0,
        });
      }
    });
    return out;
  };
  const minRecords = options.minRecords ?? MIN_RECORDS;
  const unlearned = (blockedPairs: number, randomPairs: number): EstimateResult => ({
    config, lambda: 0, blockedPairs, randomPairs, records: n, iterations: 0, learned: false,
    levels: report(config.fields, [], []),
  });
  if (n < minRecords) return unlearned(0, 0);
  const rand = rngFor(options.seed ?? 1);

  // u: level frequencies among random pairs, missing excluded.
  const uCounts = FIELDS.map(() => new Map<string, number>());
  const randomPairs = Math.min(options.randomPairs ?? 200_000, (n * (n - 1)) / 2);
  for (let k = 0; k < randomPairs; k++) {
    const i = Math.floor(rand() * n);
    let j = Math.floor(rand() * (n - 1));
    if (j >= i) j++;
    const lv = levelsOf(compareRecords(prepared[i] as PreparedRecord, prepared[j] as PreparedRecord));
    for (let f = 0; f < fieldCount; f++) {
      const l = lv[f] as string;
      if (l === 'missing') continue;
      const m = uCounts[f] as Map<string, number>;
      m.set(l, (m.get(l) ?? 0) + 1);
    }
  }

  // Training pairs (each once), blocked as Splink trains: on rules that make most pairs the same
  // person, each leaving some fields free to disagree. Not the engine's name-and-village or
  // name-and-year keys: their namesakes are what EM would take for matches. Records are visited in
  // a random order so that a cap on pairs samples the whole input, not its first villages.
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const blocks = new Map<string, number[]>();
  const cap = config.blocking.maxBlockSize;
  const pairs: string[][] = [];
  /** Per pair, the fields its training key holds equal. */
  const fixed: boolean[][] = [];
  const fixedOf = new Map<string, boolean[]>(
    Object.entries(KEY_FIELDS).map(([k, fs]) => [k, FIELDS.map((f) => fs.includes(f))]),
  );
  /** Pair id -> its index in `pairs`. */
  const seen = new Map<number, number>();
  const maxPairs = options.maxBlockedPairs ?? 300_000;
  for (let oi = 0; oi < n && pairs.length < maxPairs; oi++) {
    const i = order[oi] as number;
    const p = prepared[i] as PreparedRecord;
    for (const key of trainingKeys(p)) {
      const list = blocks.get(key);
      if (list && list.length < cap) {
        const keyFixed = fixedOf.get(key[0] as string) as boolean[];
        for (const j of list) {
          const id = j * n + i;
          const at = seen.get(id);
          if (at !== undefined) {
            // Met again under another key: only what every key holds equal is fixed.
            fixed[at] = (fixed[at] as boolean[]).map((x, f) => x && (keyFixed[f] as boolean));
            continue;
          }
          seen.set(id, pairs.length);
          pairs.push(levelsOf(compareRecords(p, prepared[j] as PreparedRecord)));
          fixed.push(keyFixed);
          if (pairs.length >= maxPairs) break;
        }
      }
      if (list) list.push(i);
      else blocks.set(key, [i]);
    }
  }
  if (pairs.length < MIN_BLOCKED_PAIRS) return unlearned(pairs.length, randomPairs);

  const uPrior = options.uPrior ?? 50;
  const mPrior = options.mPrior ?? 30;
  const fields = structuredClone(config.fields) as Record<FieldName, Record<string, LevelProbability>>;
  const mPriors = FIELDS.map((f) => normalizedPrior(config.fields[f], 'm'));
  const uPriors = FIELDS.map((f) => normalizedPrior(config.fields[f], 'u'));
  FIELDS.forEach((f, fi) => {
    const counts = uCounts[fi] as Map<string, number>;
    let total = 0;
    for (const c of counts.values()) total += c;
    for (const [level, p] of Object.entries(fields[f])) {
      if (level === 'missing') continue;
      const prior = (uPriors[fi] as Map<string, number>).get(level) ?? 0;
      p.u = Math.max(FLOOR, ((counts.get(level) ?? 0) + uPrior * prior) / (total + uPrior));
    }
  });

  let lambda = 0.1;
  const iterations = options.iterations ?? 20;
  let mNum: Map<string, number>[] = [];
  let it = 0;
  for (; it < iterations; it++) {
    mNum = FIELDS.map(() => new Map<string, number>());
    const mDen = new Array<number>(fieldCount).fill(0);
    let sumP = 0;
    const logPrior = Math.log(lambda / (1 - lambda));
    for (let k = 0; k < pairs.length; k++) {
      const lv = pairs[k] as string[];
      const fx = fixed[k] as boolean[];
      let logRatio = logPrior;
      for (let f = 0; f < fieldCount; f++) {
        const l = lv[f] as string;
        if (l === 'missing' || !PERSON_FIELDS.has(FIELDS[f] as FieldName)) continue;
        const p = fields[FIELDS[f] as FieldName][l];
        if (p) logRatio += Math.log(Math.max(p.m, FLOOR) / Math.max(p.u, FLOOR));
      }
      const pm = 1 / (1 + Math.exp(-Math.max(-50, Math.min(50, logRatio))));
      sumP += pm;
      for (let f = 0; f < fieldCount; f++) {
        const l = lv[f] as string;
        if (l === 'missing' || fx[f]) continue;
        const mm = mNum[f] as Map<string, number>;
        mm.set(l, (mm.get(l) ?? 0) + pm);
        mDen[f] = (mDen[f] as number) + pm;
      }
    }
    const nextLambda = Math.min(LAMBDA_MAX, Math.max(LAMBDA_MIN, sumP / pairs.length));
    let change = Math.abs(nextLambda - lambda);
    lambda = nextLambda;
    FIELDS.forEach((f, fi) => {
      const den = mDen[fi] as number;
      const next = new Map<string, number>();
      let sum = 0;
      for (const level of Object.keys(fields[f])) {
        if (level === 'missing') continue;
        const prior = (mPriors[fi] as Map<string, number>).get(level) ?? 0;
        let m = Math.max(FLOOR, (((mNum[fi] as Map<string, number>).get(level) ?? 0) + mPrior * prior) / (den + mPrior));
        if (PERSON_FIELDS.has(f) && prior > 0) m = Math.min(prior * M_BOUND, Math.max(prior / M_BOUND, m));
        next.set(level, m);
        sum += m;
      }
      for (const [level, p] of Object.entries(fields[f])) {
        if (level === 'missing') continue;
        const m = (next.get(level) as number) / sum;
        change = Math.max(change, Math.abs(m - p.m));
        p.m = m;
      }
    });
    if (change < 1e-5) {
      it++;
      break;
    }
  }
  return {
    config: { ...config, fields }, lambda, blockedPairs: pairs.length, randomPairs, records: n, iterations: it, learned: true,
    levels: report(fields, mNum, uCounts),
  };
}

/** The learned parameters as a table, one line per field level (for `tiyuh-hub dedup --explain-params`). */
export function formatEstimate(e: EstimateResult): string {
  const head = e.learned
    ? `parameters learned from ${e.records} records: u from ${e.randomPairs} random pairs, m by EM over ${e.blockedPairs} ` +
      `blocked pairs (${e.iterations} iterations, share of blocked pairs that match ${e.lambda.toFixed(4)})`
    : `too little data to learn from (${e.records} records, ${e.blockedPairs} blocked pairs): the hand values are used`;
  const lines = [head, 'field        level               m          u          weight  (hand)   matched   random'];
  for (const l of e.levels) {
    lines.push(
      `${l.field.padEnd(12)} ${l.level.padEnd(18)} ${l.m.toPrecision(4).padStart(10)} ${l.u.toPrecision(4).padStart(10)} ` +
        `${l.weight.toFixed(2).padStart(8)} ${`(${l.priorWeight.toFixed(2)})`.padStart(8)} ${String(l.matchedPairs).padStart(9)} ${String(l.randomPairs).padStart(8)}`,
    );
  }
  return lines.join('\n');
}
