/**
 * The incremental identity index: citizens (each with one or more records) held in memory with
 * their blocking keys. `resolve` decides for a new record against the whole index; batch `dedupe`
 * is this same loop over a file, so both modes decide alike.
 */
import { BlockIndex, blockKeys, MIN_BLOCK_WEIGHT, STRONG_WEIGHT } from './blocking.js';
import { resolveConfig, weightTable, type DeepPartial, type IdentityConfig, type WeightTable } from './config.js';
import { prepareRecord, type PreparedRecord } from './prepare.js';
import { decide, evidenceOf, NameFrequencies, scorePair, type ScoreContext, type ScoredPair } from './score.js';
import type { Evidence, GuardHit, Outcome, PersonRecord } from './types.js';

export interface CandidateDecision {
  citizenId: string;
  /** The citizen's record that scored best against the query. */
  recordId: string;
  score: number;
  outcome: Outcome;
  evidence: Evidence;
}

export interface ResolveResult {
  outcome: Outcome;
  citizenId?: string;
  score: number;
  evidence: Evidence;
  /** Citizens that scored at least the review threshold, best first (the best five, and the match). */
  candidates: CandidateDecision[];
}

export interface IdentityIndexOptions {
  /**
   * Frozen name frequencies for the term-frequency adjustment (e.g. from the whole population).
   * Without them the index counts the names it holds as it grows.
   */
  frequencies?: NameFrequencies;
}

const NO_EVIDENCE: Evidence = { fields: [], score: 0, guards: [] };

/** Candidates reported with evidence per query. */
const MAX_REPORTED = 5;

/** How many members of a citizen are checked for guards; a citizen rarely has more records. */
const MAX_MEMBERS_CHECKED = 50;

export class IdentityIndex {
  readonly config: IdentityConfig;
  private readonly weights: WeightTable;
  private readonly ctx: ScoreContext;
  private readonly liveFrequencies: boolean;
  private readonly blocks: BlockIndex;
  private readonly weakBlocks: BlockIndex;
  private readonly recs: (PreparedRecord | null)[] = [];
  private readonly citizenOf: (string | null)[] = [];
  /** 1 while a record's citizen exists: a small array the candidate scan can check without touching records. */
  private alive = new Uint8Array(1024);
  private readonly members = new Map<string, number[]>();
  /** Per record: query number that last saw it, and the block weight it shared with that query. */
  private marks = new Int32Array(2048);
  private queryNo = 0;
  /** Pairs scored so far (for statistics). */
  comparisons = 0;

  constructor(config?: DeepPartial<IdentityConfig> | IdentityConfig, options: IdentityIndexOptions = {}) {
    this.config = resolveConfig(config as DeepPartial<IdentityConfig> | undefined);
    this.weights = weightTable(this.config);
    this.liveFrequencies = options.frequencies === undefined;
    this.ctx = { config: this.config, weights: this.weights, frequencies: options.frequencies ?? new NameFrequencies() };
    this.blocks = new BlockIndex(this.config.blocking.maxBlockSize);
    this.weakBlocks = new BlockIndex(this.config.blocking.maxWeakBlockSize);
  }

  /** Number of citizens held. */
  get citizenCount(): number {
    return this.members.size;
  }

  /** Number of live records held. */
  get recordCount(): number {
    let n = 0;
    for (const m of this.members.values()) n += m.length;
    return n;
  }

  has(citizenId: string): boolean {
    return this.members.has(citizenId);
  }

  recordsOf(citizenId: string): PersonRecord[] {
    return (this.members.get(citizenId) ?? []).map((i) => (this.recs[i] as PreparedRecord).rec);
  }

  add(citizenId: string, rec: PersonRecord): void {
    this.addPrepared(citizenId, prepareRecord(rec));
  }

  addPrepared(citizenId: string, p: PreparedRecord): void {
    const recNo = this.recs.length;
    this.recs.push(p);
    this.citizenOf.push(citizenId);
    const m = this.members.get(citizenId);
    if (m) m.push(recNo);
    else this.members.set(citizenId, [recNo]);
    const bk = blockKeys(p, false);
    for (let i = 0; i < bk.keys.length; i++) {
      (bk.weights[i] === STRONG_WEIGHT ? this.blocks : this.weakBlocks).add(bk.keys[i] as number, recNo);
    }
    if (this.liveFrequencies) this.ctx.frequencies?.add(p.name.phonJoined);
    if (recNo >= this.alive.length) {
      const a = new Uint8Array(this.alive.length * 2);
      a.set(this.alive);
      this.alive = a;
    }
    this.alive[recNo] = 1;
    if (recNo * 2 >= this.marks.length) {
      const s = new Int32Array(this.marks.length * 2);
      s.set(this.marks);
      this.marks = s;
    }
  }

  /** Forgets a citizen and all its records (their block entries become dead and are skipped). */
  removeCitizen(citizenId: string): boolean {
    const m = this.members.get(citizenId);
    if (!m) return false;
    for (const i of m) {
      const p = this.recs[i];
      if (p && this.liveFrequencies) this.ctx.frequencies?.remove(p.name.phonJoined);
      this.recs[i] = null;
      this.citizenOf[i] = null;
      this.alive[i] = 0;
    }
    this.members.delete(citizenId);
    return true;
  }

  /** Moves every record of one citizen to another (a reviewer confirmed they are one person). */
  merge(fromCitizenId: string, intoCitizenId: string): void {
    if (fromCitizenId === intoCitizenId) return;
    const from = this.members.get(fromCitizenId);
    if (!from) throw new Error(`unknown citizen ${fromCitizenId}`);
    const into = this.members.get(intoCitizenId);
    if (!into) throw new Error(`unknown citizen ${intoCitizenId}`);
    for (const i of from) {
      this.citizenOf[i] = intoCitizenId;
      into.push(i);
    }
    this.members.delete(fromCitizenId);
  }

  resolve(rec: PersonRecord): ResolveResult {
    return this.resolvePrepared(prepareRecord(rec));
  }

  resolvePrepared(p: PreparedRecord): ResolveResult {
    const candidates = this.candidateRecords(p);
    const best = new Map<string, { recNo: number; sp: ScoredPair }>();
    const scoredRecs = new Map<number, ScoredPair>();
    for (const recNo of candidates) {
      const c = this.recs[recNo] as PreparedRecord;
      const cid = this.citizenOf[recNo] as string;
      const sp = scorePair(p, c, this.ctx);
      scoredRecs.set(recNo, sp);
      this.comparisons++;
      const cur = best.get(cid);
      if (!cur || sp.score > cur.sp.score) best.set(cid, { recNo, sp });
    }
    const scored: Array<{ cid: string; recNo: number; sp: ScoredPair; guards: GuardHit[]; outcome: Outcome }> = [];
    const possibleMin = this.config.thresholds.possible;
    for (const [cid, { recNo, sp }] of best) {
      if (sp.score < possibleMin) continue;
      const guards = this.citizenGuards(p, cid, recNo, sp, scoredRecs);
      scored.push({ cid, recNo, sp, guards, outcome: decide(sp, guards, this.config) });
    }
    scored.sort((x, y) => y.sp.score - x.sp.score || (x.cid < y.cid ? -1 : x.cid > y.cid ? 1 : 0));
    // Evidence is built only for what is reported: the best match and the best few for review.
    const firstMatch = scored.findIndex((d) => d.outcome === 'match');
    const decisions: CandidateDecision[] = [];
    scored.forEach((d, i) => {
      if (i >= MAX_REPORTED && i !== firstMatch) return;
      const c = this.recs[d.recNo] as PreparedRecord;
      decisions.push({
        citizenId: d.cid, recordId: c.rec.id, score: d.sp.score, outcome: d.outcome,
        evidence: evidenceOf(p, c, d.sp, d.guards, this.weights),
      });
    });
    const top = decisions.find((d) => d.outcome === 'match') ?? decisions[0];
    if (!top) return { outcome: 'distinct', score: 0, evidence: NO_EVIDENCE, candidates: decisions };
    return { outcome: top.outcome, citizenId: top.citizenId, score: top.score, evidence: top.evidence, candidates: decisions };
  }

  /**
   * A record may join a citizen only if it is compatible with every member, not just the best one:
   * guards against any member apply, and a member it scores below review level blocks the link.
   * This is what stops chains of weak links from gluing unrelated people together.
   */
  private citizenGuards(
    p: PreparedRecord, cid: string, bestRecNo: number, bestSp: ScoredPair, scored: Map<number, ScoredPair>,
  ): GuardHit[] {
    const guards: GuardHit[] = [...bestSp.guards];
    const members = this.members.get(cid) ?? [];
    const n = Math.min(members.length, MAX_MEMBERS_CHECKED);
    for (let k = 0; k < n; k++) {
      const recNo = members[k] as number;
      if (recNo === bestRecNo) continue;
      const c = this.recs[recNo] as PreparedRecord;
      let sp = scored.get(recNo);
      if (!sp) {
        sp = scorePair(p, c, this.ctx);
        this.comparisons++;
      }
      for (const g of sp.guards) guards.push(g);
      if (sp.score < this.config.thresholds.possible) {
        guards.push({ guard: 'cluster_inconsistent', reason: `scores ${sp.score.toFixed(1)} against another record of this citizen`, recordId: c.rec.id });
      }
    }
    return guards;
  }

  /** Live records sharing enough usable block weight, most shared weight first, capped. */
  private candidateRecords(p: PreparedRecord): number[] {
    const q = ++this.queryNo;
    const marks = this.marks;
    const found: number[] = [];
    const alive = this.alive;
    const { keys, weights } = blockKeys(p, true);
    for (let i = 0; i < keys.length; i++) {
      const w = weights[i] as number;
      const blocks = w === STRONG_WEIGHT ? this.blocks : this.weakBlocks;
      for (let e = blocks.first(keys[i] as number); e !== -1; e = blocks.next(e)) {
        const recNo = blocks.recOf(e);
        if (alive[recNo] === 0) continue;
        const m = recNo * 2;
        if (marks[m] !== q) {
          marks[m] = q;
          marks[m + 1] = w;
          if (w >= MIN_BLOCK_WEIGHT) found.push(recNo);
        } else {
          const before = marks[m + 1] as number;
          marks[m + 1] = before + w;
          if (before < MIN_BLOCK_WEIGHT && before + w >= MIN_BLOCK_WEIGHT) found.push(recNo);
        }
      }
    }
    const max = this.config.blocking.maxCandidates;
    if (found.length <= max) return found;
    found.sort((a, b) => (marks[b * 2 + 1] as number) - (marks[a * 2 + 1] as number) || a - b);
    return found.slice(0, max);
  }

  /** Blocking statistics for monitoring. */
  blockStats(): { blocks: number; oversizedBlocks: number } {
    const a = this.blocks.stats();
    const b = this.weakBlocks.stats();
    return { blocks: a.blocks + b.blocks, oversizedBlocks: a.oversizedBlocks + b.oversizedBlocks };
  }
}
