/**
 * Batch deduplication: records are resolved one by one, in input order, against the citizens built
 * so far (the same code path as the incremental index), with name frequencies taken from the whole
 * input. A record joins a citizen only on a `match` that holds against all of its members.
 */
import type { DeepPartial, IdentityConfig } from './config.js';
import { estimateParameters, type EstimateOptions, type EstimateResult } from './estimate.js';
import { IdentityIndex } from './incrementalIndex.js';
import { prepareRecord, type PreparedRecord } from './prepare.js';
import { NameFrequencies } from './score.js';
import type { GuardName, PairDecision, PersonRecord } from './types.js';

export interface DedupeStats {
  records: number;
  clusters: number;
  /** Records linked automatically to an earlier citizen. */
  matched: number;
  /** Citizens joined into one by a record that matched both. */
  joins: number;
  possiblePairs: number;
  comparisons: number;
  /** How often each guard stopped an automatic link. */
  guardsFired: Record<GuardName, number>;
  oversizedBlocks: number;
  seconds: number;
}

export interface DedupeResult {
  /** record id -> cluster id (the id of the cluster's first record); one entry per input record. */
  clusterOf: Map<string, string>;
  possible: PairDecision[];
  stats: DedupeStats;
  /** What was learned from the input, when `learn` was asked. */
  estimate?: EstimateResult;
}

export interface DedupeOptions {
  /** Name frequencies to use instead of counting the input's names. */
  frequencies?: NameFrequencies;
  /** Called every `progressEvery` records. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
  /**
   * Learn m and u from the input first (EM, the given config as prior); inputs too small to learn
   * from keep the given values.
   */
  learn?: boolean | EstimateOptions;
}

export function nameFrequenciesOf(prepared: Iterable<PreparedRecord>): NameFrequencies {
  const f = new NameFrequencies();
  for (const p of prepared) {
    f.add(p.name.phonJoined, p.name.phon);
    if (p.mother) f.countMother(p.mother.phonJoined);
  }
  return f;
}

export function dedupe(
  records: PersonRecord[],
  config?: DeepPartial<IdentityConfig> | IdentityConfig,
  options: DedupeOptions = {},
): DedupeResult {
  const t0 = performance.now();
  const prepared = records.map(prepareRecord);
  const frequencies = options.frequencies ?? nameFrequenciesOf(prepared);
  let estimate: EstimateResult | undefined;
  if (options.learn) {
    estimate = estimateParameters(prepared, config, options.learn === true ? {} : options.learn);
    config = estimate.config;
  }
  const index = new IdentityIndex(config, { frequencies, expectedRecords: prepared.length });
  const clusterOf = new Map<string, string>();
  const possible: PairDecision[] = [];
  const guardsFired: Record<GuardName, number> = { nik_conflict: 0, twins: 0, parent_child: 0, cluster_inconsistent: 0 };
  let matched = 0;
  let joins = 0;
  /** Input position of each citizen's first record. */
  const firstAt = new Map<string, number>();
  const every = options.progressEvery ?? 10000;
  for (let i = 0; i < prepared.length; i++) {
    const p = prepared[i] as PreparedRecord;
    const id = p.rec.id;
    if (clusterOf.has(id)) throw new Error(`duplicate record id ${id}`);
    const r = index.resolvePrepared(p, { joins: true });
    let cid = id;
    if (r.outcome === 'match' && r.citizenId !== undefined) {
      cid = r.citizenId;
      matched++;
    }
    clusterOf.set(id, cid);
    index.addPrepared(cid, p);
    // The record may match a second citizen as strongly as the first (it bridges two records of
    // one person that did not match each other when they came): with no hard evidence between the
    // two citizens they become one, kept under the earlier record's id.
    let joined: Set<string> | null = null;
    for (const other of r.joins ?? []) {
      if (!index.has(other)) continue;
      const [into, from] = (firstAt.get(cid) as number) <= (firstAt.get(other) as number) ? [cid, other] : [other, cid];
      for (const m of index.recordsOf(from)) clusterOf.set(m.id, into);
      index.merge(from, into);
      (joined ??= new Set([cid])).add(other);
      cid = into;
      joins++;
    }
    if (cid === id) firstAt.set(id, i);
    let reported = 0;
    for (const c of r.candidates) {
      if (c.outcome === 'match' && (c.citizenId === cid || joined?.has(c.citizenId))) continue;
      if (c.outcome !== 'distinct' && c.score >= index.config.thresholds.match) {
        for (const g of c.evidence.guards) guardsFired[g.guard]++;
      }
      if (c.citizenId === cid || joined?.has(c.citizenId) || c.outcome === 'distinct' || reported >= index.config.maxPossiblePerRecord) continue;
      possible.push({ a: id, b: c.recordId, outcome: 'possible', score: c.score, evidence: c.evidence });
      reported++;
    }
    if (options.onProgress && (i + 1) % every === 0) options.onProgress(i + 1, prepared.length);
  }
  const clusters = new Set(clusterOf.values()).size;
  // A pair put to review before its two citizens were joined is settled by the join.
  const open = joins > 0 ? possible.filter((d) => clusterOf.get(d.a) !== clusterOf.get(d.b)) : possible;
  return {
    clusterOf,
    possible: open,
    ...(estimate ? { estimate } : {}),
    stats: {
      records: records.length,
      clusters,
      matched,
      possiblePairs: open.length,
      joins,
      comparisons: index.comparisons,
      guardsFired,
      oversizedBlocks: index.blockStats().oversizedBlocks,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}
