/**
 * Measuring a clustering against ground truth: pairwise precision/recall/F1 (over all record
 * pairs), blocking recall (share of true pairs that share at least one usable block) and guard
 * violations (people who must stay apart but share a cluster).
 */
import { blockKeys, MIN_BLOCK_WEIGHT, STRONG_WEIGHT } from './blocking.js';
import { resolveConfig, type DeepPartial, type IdentityConfig } from './config.js';
import { prepareRecord, type PreparedRecord } from './prepare.js';
import type { PersonRecord } from './types.js';

export interface PairwiseQuality {
  truePairs: number;
  predictedPairs: number;
  correctPairs: number;
  precision: number;
  recall: number;
  f1: number;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

export function pairwiseQuality(truthOf: Map<string, string>, clusterOf: Map<string, string>): PairwiseQuality {
  const truthSize = new Map<string, number>();
  const clusterSize = new Map<string, number>();
  const cell = new Map<string, number>();
  for (const [id, t] of truthOf) {
    const c = clusterOf.get(id);
    if (c === undefined) continue;
    truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
    clusterSize.set(c, (clusterSize.get(c) ?? 0) + 1);
    const k = `${t}\u0000${c}`;
    cell.set(k, (cell.get(k) ?? 0) + 1);
  }
  let truePairs = 0;
  let predictedPairs = 0;
  let correctPairs = 0;
  for (const n of truthSize.values()) truePairs += pairs(n);
  for (const n of clusterSize.values()) predictedPairs += pairs(n);
  for (const n of cell.values()) correctPairs += pairs(n);
  const precision = predictedPairs === 0 ? 1 : correctPairs / predictedPairs;
  const recall = truePairs === 0 ? 1 : correctPairs / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePairs, predictedPairs, correctPairs, precision, recall, f1 };
}

/** Share of true pairs that blocking makes candidates: enough shared key weight in blocks under the size cap. */
export function blockingRecall(
  records: PersonRecord[],
  truthOf: Map<string, string>,
  config?: DeepPartial<IdentityConfig>,
): { truePairs: number; blockedPairs: number; recall: number } {
  const blocking = resolveConfig(config).blocking;
  const capOf = (weight: number) => (weight === STRONG_WEIGHT ? blocking.maxBlockSize : blocking.maxWeakBlockSize);
  // One record at a time: block sizes need every record's keys, but only members of a true cluster
  // need theirs kept (a whole prepared population doubled the bench's memory).
  const clusterSize = new Map<string, number>();
  for (const r of records) {
    const t = truthOf.get(r.id);
    if (t !== undefined) clusterSize.set(t, (clusterSize.get(t) ?? 0) + 1);
  }
  const sizes = new Map<number, number>();
  const stored = new Map<number, { keys: number[]; weights: number[] }>();
  // Strong and weak keys live in separate indexes; the weight keeps their counts apart.
  const sizeKey = (k: number, w: number) => k * 2 + (w === STRONG_WEIGHT ? 1 : 0);
  const byTruth = new Map<string, number[]>();
  records.forEach((r, i) => {
    const bk = blockKeys(prepareRecord(r), false);
    bk.keys.forEach((k, j) => {
      const sk = sizeKey(k, bk.weights[j] as number);
      sizes.set(sk, (sizes.get(sk) ?? 0) + 1);
    });
    const t = truthOf.get(r.id);
    if (t === undefined || (clusterSize.get(t) ?? 0) < 2) return;
    stored.set(i, { keys: [...bk.keys], weights: [...bk.weights] });
    const list = byTruth.get(t);
    if (list) list.push(i);
    else byTruth.set(t, [i]);
  });
  let truePairs = 0;
  let blockedPairs = 0;
  for (const members of byTruth.values()) {
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        // Records arrive in input order: the later one queries the index that holds the earlier one.
        const early = Math.min(members[x] as number, members[y] as number);
        const late = Math.max(members[x] as number, members[y] as number);
        truePairs++;
        const query = blockKeys(prepareRecord(records[late] as PersonRecord), true);
        const filedKeys = stored.get(early) as { keys: number[]; weights: number[] };
        const filed = new Set(filedKeys.keys.map((k, i) => sizeKey(k, filedKeys.weights[i] as number)));
        let weight = 0;
        query.keys.forEach((k, i) => {
          const w = query.weights[i] as number;
          const sk = sizeKey(k, w);
          if (filed.has(sk) && (sizes.get(sk) ?? 0) <= capOf(w)) weight += w;
        });
        if (weight >= MIN_BLOCK_WEIGHT) blockedPairs++;
      }
    }
  }
  return { truePairs, blockedPairs, recall: truePairs === 0 ? 1 : blockedPairs / truePairs };
}

export interface GuardViolations {
  /**
   * Clusters holding two different people who each have a valid, self-consistent NIK, the NIKs
   * different (the bar: never merged).
   */
  nikConflicts: number;
  /**
   * Clusters holding one person under two valid, self-consistent NIKs (one mistyped a digit off):
   * linked by design, counted for the record.
   */
  nikTyposLinked: number;
  /** Known must-stay-apart people (twins, parent and namesake child) sharing a cluster. */
  forbiddenMerged: number;
  total: number;
}

export function guardViolations(
  records: PersonRecord[],
  clusterOf: Map<string, string>,
  truthOf: Map<string, string>,
  forbidden: Array<{ a: string; b: string }>,
): GuardViolations {
  const byCluster = new Map<string, PreparedRecord[]>();
  for (const r of records) {
    const c = clusterOf.get(r.id);
    if (c === undefined) continue;
    const list = byCluster.get(c);
    const p = prepareRecord(r);
    if (list) list.push(p);
    else byCluster.set(c, [p]);
  }
  let nikConflicts = 0;
  let nikTyposLinked = 0;
  for (const members of byCluster.values()) {
    const holders = new Map<string, Set<string>>();
    for (const p of members) {
      if (!p.nik?.valid || !p.nikSelfConsistent || !p.nik.digits) continue;
      const t = truthOf.get(p.rec.id) ?? p.rec.id;
      const s = holders.get(t);
      if (s) s.add(p.nik.digits);
      else holders.set(t, new Set([p.nik.digits]));
    }
    if (holders.size > 1 && new Set([...holders.values()].flatMap((s) => [...s])).size > 1) nikConflicts++;
    else if ([...holders.values()].some((s) => s.size > 1)) nikTyposLinked++;
  }
  const truthClusters = new Map<string, Set<string>>();
  for (const [id, t] of truthOf) {
    const c = clusterOf.get(id);
    if (c === undefined) continue;
    const s = truthClusters.get(t);
    if (s) s.add(c);
    else truthClusters.set(t, new Set([c]));
  }
  let forbiddenMerged = 0;
  for (const f of forbidden) {
    const ca = truthClusters.get(f.a);
    const cb = truthClusters.get(f.b);
    if (!ca || !cb) continue;
    for (const c of ca) if (cb.has(c)) {
      forbiddenMerged++;
      break;
    }
  }
  return { nikConflicts, nikTyposLinked, forbiddenMerged, total: nikConflicts + forbiddenMerged };
}
