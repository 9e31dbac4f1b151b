/**
 * Estimating Fellegi–Sunter parameters from the data, as Splink does: u from random pairs (almost
 * all of them different people), m by expectation–maximisation over blocked candidate pairs with u
 * held fixed. The result is a config the hub can review and store; `dedupe` uses whatever config
 * it is given, so estimation is an explicit, repeatable step.
 */
import { blockKeys } from './blocking.js';
import { compareRecords, FIELDS, type Comparison } from './compare.js';
import { resolveConfig, type DeepPartial, type IdentityConfig, type LevelProbability } from './config.js';
import { rngFor } from './random.js';
import { prepareRecord, type PreparedRecord } from './prepare.js';
import type { FieldName, PersonRecord } from './types.js';

export interface EstimateOptions {
  randomPairs?: number;
  maxBlockedPairs?: number;
  iterations?: number;
  seed?: number;
}

export interface EstimateResult {
  config: IdentityConfig;
  /** Estimated share of blocked pairs that are the same person. */
  lambda: number;
  blockedPairs: number;
}

const FLOOR = 1e-6;

function levelsOf(c: Comparison): string[] {
  return FIELDS.map((f) => c[f as keyof Comparison]);
}

export function estimateParameters(
  records: PersonRecord[],
  base?: DeepPartial<IdentityConfig>,
  options: EstimateOptions = {},
): EstimateResult {
  const config = resolveConfig(base);
  const prepared: PreparedRecord[] = records.map(prepareRecord);
  const n = prepared.length;
  const rand = rngFor(options.seed ?? 1);
  const fieldCount = FIELDS.length;

  // u: level frequencies among random pairs, missing excluded.
  const uCounts = FIELDS.map(() => new Map<string, number>());
  const randomPairs = Math.min(options.randomPairs ?? 100_000, n * (n - 1) / 2);
  for (let k = 0; k < randomPairs && n > 1; k++) {
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

  // Blocked candidate pairs (each once).
  const blocks = new Map<number, number[]>();
  const cap = config.blocking.maxBlockSize;
  const pairs: string[][] = [];
  const seen = new Set<number>();
  const maxPairs = options.maxBlockedPairs ?? 200_000;
  for (let i = 0; i < n && pairs.length < maxPairs; i++) {
    const p = prepared[i] as PreparedRecord;
    for (const k of blockKeys(p, false).keys) {
      const list = blocks.get(k);
      if (list && list.length < cap) {
        for (const j of list) {
          const id = j * n + i;
          if (seen.has(id)) continue;
          seen.add(id);
          pairs.push(levelsOf(compareRecords(p, prepared[j] as PreparedRecord)));
          if (pairs.length >= maxPairs) break;
        }
      }
      if (list) list.push(i);
      else blocks.set(k, [i]);
    }
  }

  const fields = structuredClone(config.fields) as Record<FieldName, Record<string, LevelProbability>>;
  FIELDS.forEach((f, fi) => {
    const counts = uCounts[fi] as Map<string, number>;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (total === 0) return;
    for (const [level, p] of Object.entries(fields[f])) {
      if (level === 'missing') continue;
      p.u = Math.max(FLOOR, (counts.get(level) ?? 0) / total);
    }
  });

  let lambda = 0.1;
  const iterations = options.iterations ?? 15;
  for (let it = 0; it < iterations && pairs.length > 0; it++) {
    const mNum = FIELDS.map(() => new Map<string, number>());
    const mDen = new Array<number>(fieldCount).fill(0);
    let sumP = 0;
    for (const lv of pairs) {
      let logRatio = Math.log(lambda / (1 - lambda));
      for (let f = 0; f < fieldCount; f++) {
        const p = fields[FIELDS[f] as FieldName][lv[f] as string];
        if (!p || lv[f] === 'missing') continue;
        logRatio += Math.log(Math.max(p.m, FLOOR) / Math.max(p.u, FLOOR));
      }
      const pm = 1 / (1 + Math.exp(-logRatio));
      sumP += pm;
      for (let f = 0; f < fieldCount; f++) {
        const l = lv[f] as string;
        if (l === 'missing') continue;
        const mm = mNum[f] as Map<string, number>;
        mm.set(l, (mm.get(l) ?? 0) + pm);
        mDen[f] = (mDen[f] as number) + pm;
      }
    }
    lambda = Math.min(0.99, Math.max(1e-4, sumP / pairs.length));
    FIELDS.forEach((f, fi) => {
      const den = mDen[fi] as number;
      if (den <= 0) return;
      for (const [level, p] of Object.entries(fields[f])) {
        if (level === 'missing') continue;
        p.m = Math.max(FLOOR, ((mNum[fi] as Map<string, number>).get(level) ?? 0) / den);
      }
    });
  }
  return { config: { ...config, fields }, lambda, blockedPairs: pairs.length };
}
