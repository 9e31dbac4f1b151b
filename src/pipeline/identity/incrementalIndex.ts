/**
 * The incremental identity index: citizens (each with one or more records) held in memory with
 * their blocking keys. `resolve` decides for a new record against the whole index; batch `dedupe`
 * is this same loop over a file, so both modes decide alike.
 */
import { BlockIndex, blockKeys, MIN_BLOCK_WEIGHT, STRONG_WEIGHT, type BlockKeys } from './blocking.js';
import { resolveConfig, weightTable, type DeepPartial, type IdentityConfig, type WeightTable } from './config.js';
import { prepareRecord, type PreparedRecord } from './prepare.js';
import { ExactColumns } from './columns.js';
import {
  decide, evidenceOf, NameFrequencies, reachOf, sameNameReach, scoreComparedAbove, scorePair, withinReach, type ScoreContext, type ScoredPair,
} from './score.js';
import { namesCompatible, type Comparison } from './compare.js';
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
  /**
   * Other citizens the record matches as strongly as `citizenId`, with no hard evidence between
   * them and it (`citizenConflicts`): one person whose records did not match each other until this
   * one came. Only when asked (`ResolveOptions.joins`); a batch joins them.
   */
  joins?: string[];
}

export interface ResolveOptions {
  /**
   * Also name the other citizens the record would join (`ResolveResult.joins`). Off by default:
   * it scores members of every other matching citizen against each other, which an index holding
   * one person under several citizens (a hub before review) pays on most duplicates.
   */
  joins?: boolean;
}

export interface IdentityIndexOptions {
  /**
   * Frozen name frequencies for the term-frequency adjustment (e.g. from the whole population).
   * Without them the index counts the names it holds as it grows.
   */
  frequencies?: NameFrequencies;
  /** Records the index will hold (a batch knows): its tables are sized once instead of doubling. */
  expectedRecords?: number;
}

const NO_EVIDENCE: Evidence = { fields: [], score: 0, guards: [] };

/** Candidates reported with evidence per query. */
const MAX_REPORTED = 5;

/**
 * Blocks and block entries (records in blocks of two or more) a record brings to the strong and
 * the weak table (synthetic Tubaba population, 300k records: 2.47M strong blocks and 0.90M
 * entries, 0.59M weak blocks and 2.1M entries), for sizing the tables of an index whose size is known.
 */
const STRONG_BLOCKS_PER_RECORD = 8;
const STRONG_ENTRIES_PER_RECORD = 3;
const WEAK_BLOCKS_PER_RECORD = 2;
const WEAK_ENTRIES_PER_RECORD = 7;

/**
 * Adds in a row (no lookup between) after which the next lookup tightens the blocks. A batch
 * looks up before each add and never gets here; a hub loading its citizens does, once.
 */
const TIGHTEN_AFTER_ADDS = 4096;

/**
 * A member the record scores below this against is a different person by the evidence itself
 * (fields disagree more than they agree), whatever the best member says.
 */
const MEMBER_CONFLICT_SCORE = 0;

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
  /** The fields compared by equality, a row of integers per record, to rule out strangers cheaply. */
  private readonly columns: ExactColumns;
  private readonly scratch: Comparison = {
    nik: 'missing', name: 'missing', birthDate: 'missing', sex: 'missing', motherName: 'missing', kk: 'missing',
    village: 'missing', birthPlace: 'missing', address: 'missing', locality: 'missing', postcode: 'missing', religion: 'missing',
    occupation: 'missing',
  };
  private readonly citizenOf: (string | null)[] = [];
  /** 1 while a record's citizen exists: a small array the candidate scan can check without touching records. */
  private alive = new Uint8Array(1024);
  /**
   * A citizen's records as a list in insertion order: citizen id -> first record, then per record
   * the next one (-1 at the end); the first record also holds the list's last record and length.
   * A list per citizen in typed arrays instead of an array object each (300k of them at a kabupaten).
   */
  private readonly firstOf = new Map<string, number>();
  private nextOf = new Int32Array(1024);
  private lastOf = new Int32Array(1024);
  private countOf = new Int32Array(1024);
  /** Block keys of the last record looked up, reused when that record is then added (batch dedupe). */
  private keysOf: PreparedRecord | null = null;
  private keys: BlockKeys = { keys: [], weights: [] };
  /** Each key's slot in its table at that lookup, and the tables' generations then. */
  private keySlots = new Int32Array(64);
  /** Each key's block's first entry, read in one pass over the keys before any block is walked. */
  private keyHeads = new Int32Array(64);
  private keysGeneration = -1;
  private weakKeysGeneration = -1;
  /**
   * Records met by the current query and the block weight each shares with it: an open-addressing
   * table of (query number, record, weight) triples, small enough to stay in L1/L2 cache where a
   * per-record array over the whole index would cost a cache miss per block entry.
   */
  private seen: Int32Array = new Int32Array(3 * 1024);
  private queryNo = 0;
  /** Records added since the last lookup: many means a bulk load, after which the blocks are tightened. */
  private addsSinceLookup = 0;
  /** Pairs scored so far (for statistics). */
  comparisons = 0;

  constructor(config?: DeepPartial<IdentityConfig> | IdentityConfig, options: IdentityIndexOptions = {}) {
    this.config = resolveConfig(config as DeepPartial<IdentityConfig> | undefined);
    this.weights = weightTable(this.config);
    this.liveFrequencies = options.frequencies === undefined;
    this.ctx = { config: this.config, weights: this.weights, frequencies: options.frequencies ?? new NameFrequencies() };
    this.columns = new ExactColumns(this.weights, reachOf(this.ctx), (p) => sameNameReach(p, this.ctx));
    const n = Math.max(options.expectedRecords ?? 0, 1 << 13);
    this.blocks = new BlockIndex(this.config.blocking.maxBlockSize, n * STRONG_BLOCKS_PER_RECORD, n * STRONG_ENTRIES_PER_RECORD);
    this.weakBlocks = new BlockIndex(this.config.blocking.maxWeakBlockSize, n * WEAK_BLOCKS_PER_RECORD, n * WEAK_ENTRIES_PER_RECORD);
  }

  /** Number of citizens held. */
  get citizenCount(): number {
    return this.firstOf.size;
  }

  /** Number of live records held. */
  get recordCount(): number {
    let n = 0;
    for (const first of this.firstOf.values()) n += this.countOf[first] as number;
    return n;
  }

  has(citizenId: string): boolean {
    return this.firstOf.has(citizenId);
  }

  recordsOf(citizenId: string): PersonRecord[] {
    const out: PersonRecord[] = [];
    for (let i = this.firstOf.get(citizenId) ?? -1; i !== -1; i = this.nextOf[i] as number) out.push((this.recs[i] as PreparedRecord).rec);
    return out;
  }

  add(citizenId: string, rec: PersonRecord): void {
    this.addPrepared(citizenId, prepareRecord(rec));
  }

  addPrepared(citizenId: string, p: PreparedRecord): void {
    const recNo = this.recs.length;
    this.recs.push(p);
    this.columns.set(recNo, p);
    this.citizenOf.push(citizenId);
    if (recNo >= this.alive.length) this.growRecordArrays();
    this.appendTo(citizenId, recNo);
    if (this.keysOf === p) {
      // Looked up just before: each key's slot is known (addAt checks it still is).
      const bk = this.keys;
      const slots = this.keySlots;
      for (let i = 0; i < bk.keys.length; i++) {
        const blocks = bk.weights[i] === STRONG_WEIGHT ? this.blocks : this.weakBlocks;
        const gen = bk.weights[i] === STRONG_WEIGHT ? this.keysGeneration : this.weakKeysGeneration;
        blocks.addAt(bk.keys[i] as number, recNo, slots[i] as number, gen);
      }
    } else {
      const bk = blockKeys(p, false);
      for (let i = 0; i < bk.keys.length; i++) {
        (bk.weights[i] === STRONG_WEIGHT ? this.blocks : this.weakBlocks).add(bk.keys[i] as number, recNo);
      }
    }
    this.keysOf = null;
    if (this.liveFrequencies) {
      this.ctx.frequencies?.add(p.name.phonJoined, p.name.phon);
      if (p.mother) this.ctx.frequencies?.countMother(p.mother.phonJoined);
    }
    this.alive[recNo] = 1;
    this.addsSinceLookup++;
  }

  /** Puts record `recNo` at the end of the citizen's list (a new list when the citizen is new). */
  private appendTo(citizenId: string, recNo: number): void {
    this.nextOf[recNo] = -1;
    const first = this.firstOf.get(citizenId);
    if (first === undefined) {
      this.firstOf.set(citizenId, recNo);
      this.lastOf[recNo] = recNo;
      this.countOf[recNo] = 1;
    } else {
      this.nextOf[this.lastOf[first] as number] = recNo;
      this.lastOf[first] = recNo;
      this.countOf[first] = (this.countOf[first] as number) + 1;
    }
  }

  private growRecordArrays(): void {
    const n = this.alive.length * 2;
    const alive = new Uint8Array(n);
    alive.set(this.alive);
    this.alive = alive;
    for (const k of ['nextOf', 'lastOf', 'countOf'] as const) {
      const a = new Int32Array(n);
      a.set(this[k]);
      this[k] = a;
    }
  }

  /** Forgets a citizen and all its records (their block entries become dead and are skipped). */
  removeCitizen(citizenId: string): boolean {
    const first = this.firstOf.get(citizenId);
    if (first === undefined) return false;
    for (let i = first; i !== -1; i = this.nextOf[i] as number) {
      const p = this.recs[i];
      if (p && this.liveFrequencies) {
        this.ctx.frequencies?.remove(p.name.phonJoined, p.name.phon);
        if (p.mother) this.ctx.frequencies?.countMother(p.mother.phonJoined, -1);
      }
      this.recs[i] = null;
      this.citizenOf[i] = null;
      this.alive[i] = 0;
    }
    this.firstOf.delete(citizenId);
    return true;
  }

  /** Moves every record of one citizen to another (a reviewer confirmed they are one person). */
  merge(fromCitizenId: string, intoCitizenId: string): void {
    if (fromCitizenId === intoCitizenId) return;
    const from = this.firstOf.get(fromCitizenId);
    if (from === undefined) throw new Error(`unknown citizen ${fromCitizenId}`);
    const into = this.firstOf.get(intoCitizenId);
    if (into === undefined) throw new Error(`unknown citizen ${intoCitizenId}`);
    for (let i = from; i !== -1; i = this.nextOf[i] as number) this.citizenOf[i] = intoCitizenId;
    this.nextOf[this.lastOf[into] as number] = from;
    this.lastOf[into] = this.lastOf[from] as number;
    this.countOf[into] = (this.countOf[into] as number) + (this.countOf[from] as number);
    this.firstOf.delete(fromCitizenId);
  }

  /**
   * Moves one record (by its id) from a citizen to another, which is created when new (a reviewer's
   * split, or one record of a merge undone). Its block entries stay: they name the record, not the
   * citizen. Returns false when `fromCitizenId` holds no such record. A citizen left without
   * records is forgotten.
   */
  moveRecord(recordId: string, fromCitizenId: string, toCitizenId: string): boolean {
    const first = this.firstOf.get(fromCitizenId);
    if (first === undefined) return false;
    let prev = -1;
    let recNo = first;
    while (recNo !== -1 && (this.recs[recNo] as PreparedRecord).rec.id !== recordId) {
      prev = recNo;
      recNo = this.nextOf[recNo] as number;
    }
    if (recNo === -1) return false;
    if (fromCitizenId === toCitizenId) return true;
    const next = this.nextOf[recNo] as number;
    const count = (this.countOf[first] as number) - 1;
    if (count === 0) {
      this.firstOf.delete(fromCitizenId);
    } else if (prev === -1) {
      // The list's head moves to the next record, with the list's last record and length.
      this.firstOf.set(fromCitizenId, next);
      this.lastOf[next] = this.lastOf[first] as number;
      this.countOf[next] = count;
    } else {
      this.nextOf[prev] = next;
      if (this.lastOf[first] === recNo) this.lastOf[first] = prev;
      this.countOf[first] = count;
    }
    this.citizenOf[recNo] = toCitizenId;
    this.appendTo(toCitizenId, recNo);
    return true;
  }

  /**
   * Gives a citizen another id (a provisional one becomes the database's): its records keep their
   * place and block entries, as if they had been added under the new id.
   */
  renameCitizen(fromCitizenId: string, toCitizenId: string): void {
    if (fromCitizenId === toCitizenId) return;
    const first = this.firstOf.get(fromCitizenId);
    if (first === undefined) throw new Error(`unknown citizen ${fromCitizenId}`);
    if (this.firstOf.has(toCitizenId)) {
      this.merge(fromCitizenId, toCitizenId);
      return;
    }
    for (let i = first; i !== -1; i = this.nextOf[i] as number) this.citizenOf[i] = toCitizenId;
    this.firstOf.delete(fromCitizenId);
    this.firstOf.set(toCitizenId, first);
  }

  resolve(rec: PersonRecord, options: ResolveOptions = {}): ResolveResult {
    return this.resolvePrepared(prepareRecord(rec), options);
  }

  resolvePrepared(p: PreparedRecord, options: ResolveOptions = {}): ResolveResult {
    const candidates = this.candidateRecords(p);
    const possibleMin = this.config.thresholds.possible;
    // Nearly every candidate scores below review level: keep the pairs in arrays and build the
    // per-citizen view only from those that reach it (a citizen below it is dropped anyway).
    const pairs: (ScoredPair | null)[] = new Array<ScoredPair | null>(candidates.length);
    let reaching = 0;
    const columns = this.columns;
    columns.setQuery(p);
    const scratch = this.scratch;
    for (let k = 0; k < candidates.length; k++) {
      const recNo = candidates[k] as number;
      // Strangers are ruled out on the record's row of integers, without reading the record.
      if (!withinReach(columns.compare(recNo, scratch), possibleMin)) {
        pairs[k] = null;
        continue;
      }
      const sp = scoreComparedAbove(p, this.recs[recNo] as PreparedRecord, { ...scratch }, this.ctx, possibleMin);
      pairs[k] = sp;
      if (sp) reaching++;
    }
    this.comparisons += candidates.length;
    if (reaching === 0) return { outcome: 'distinct', score: 0, evidence: NO_EVIDENCE, candidates: [] };
    const best = new Map<string, { recNo: number; sp: ScoredPair }>();
    for (let k = 0; k < candidates.length; k++) {
      const sp = pairs[k];
      if (!sp) continue;
      const recNo = candidates[k] as number;
      const cid = this.citizenOf[recNo] as string;
      const cur = best.get(cid);
      if (!cur || sp.score > cur.sp.score) best.set(cid, { recNo, sp });
    }
    const scoredRecs = { candidates, pairs };
    const scored: Array<{ cid: string; recNo: number; sp: ScoredPair; guards: GuardHit[]; outcome: Outcome }> = [];
    for (const [cid, { recNo, sp }] of best) {
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
    // A candidate settled apart (two people by hard evidence) is reported but opens no case.
    const top = decisions.find((d) => d.outcome === 'match') ?? decisions.find((d) => d.outcome === 'possible') ?? decisions[0];
    if (!top) return { outcome: 'distinct', score: 0, evidence: NO_EVIDENCE, candidates: decisions };
    const result: ResolveResult = { outcome: top.outcome, citizenId: top.citizenId, score: top.score, evidence: top.evidence, candidates: decisions };
    if (top.outcome === 'match' && options.joins === true) {
      // Another citizen the record matches as strongly, with no hard evidence between the two
      // citizens: the record bridges two records of one person that did not match each other.
      let group: string[] | null = null;
      for (const d of decisions) {
        if (d.outcome !== 'match' || d === top) continue;
        group ??= [top.citizenId];
        if (this.citizenConflicts(group, d.citizenId).length === 0) group.push(d.citizenId);
      }
      if (group && group.length > 1) result.joins = group.slice(1);
    }
    return result;
  }

  /**
   * A record joins a citizen when it matches one member strongly (that pair's guards all apply) and
   * conflicts with no other member on hard evidence: two valid NIKs that are not one NIK mistyped,
   * another sex, birth dates years apart (a parent), another given name in one family (a twin),
   * or a score that says a different person. A name variant of a member is not a conflict (it is
   * why the citizen has several records). This stops chains of weak links from gluing people.
   */
  private citizenGuards(
    p: PreparedRecord, cid: string, bestRecNo: number, bestSp: ScoredPair,
    scored: { candidates: number[]; pairs: (ScoredPair | null)[] },
  ): GuardHit[] {
    const guards: GuardHit[] = [...bestSp.guards];
    let recNo = this.firstOf.get(cid) ?? -1;
    for (let k = 0; k < MAX_MEMBERS_CHECKED && recNo !== -1; k++, recNo = this.nextOf[recNo] as number) {
      if (recNo === bestRecNo) continue;
      const c = this.recs[recNo] as PreparedRecord;
      const at = scored.candidates.indexOf(recNo);
      // A member left unscored below review level is scored in full: its guards and score are reported.
      let sp = at >= 0 ? scored.pairs[at] : undefined;
      if (!sp) {
        sp = scorePair(p, c, this.ctx);
        if (at < 0) this.comparisons++;
      }
      for (const g of sp.guards) {
        // A twins hit against a member whose name is a variant of the record's is no conflict.
        if (g.guard !== 'twins' || !(namesCompatible(sp.cmp.name) || sp.namesSlipped)) guards.push(g);
      }
      if (sp.cmp.sex === 'disagree' && sp.cmp.nik !== 'exact') {
        guards.push({ guard: 'cluster_inconsistent', reason: 'another sex than another record of this citizen', recordId: c.rec.id });
      } else if (sp.score < MEMBER_CONFLICT_SCORE) {
        guards.push({ guard: 'cluster_inconsistent', reason: `scores ${sp.score.toFixed(1)} against another record of this citizen`, recordId: c.rec.id });
      }
    }
    return guards;
  }

  /**
   * Hard evidence that two citizens are two people, member against member: two valid NIKs that
   * are not one NIK mistyped, a twin (another given name in one family, not a variant of the name),
   * a parent (the same name a generation apart), another sex, or birth dates a generation apart.
   * Empty when nothing stands between them: a record that matches both may join them
   * (batch dedupe). Members checked are capped as in `citizenGuards`.
   */
  citizenConflicts(aIds: string | readonly string[], bId: string): GuardHit[] {
    const hits: GuardHit[] = [];
    const minGap = this.config.guards.parentChildMinYears;
    const xs: number[] = [];
    for (const aId of typeof aIds === 'string' ? [aIds] : aIds) {
      let x = this.firstOf.get(aId) ?? -1;
      for (let i = 0; i < MAX_MEMBERS_CHECKED && x !== -1; i++, x = this.nextOf[x] as number) xs.push(x);
    }
    for (const x of xs) {
      const a = this.recs[x] as PreparedRecord;
      let y = this.firstOf.get(bId) ?? -1;
      for (let j = 0; j < MAX_MEMBERS_CHECKED && y !== -1; j++, y = this.nextOf[y] as number) {
        const b = this.recs[y] as PreparedRecord;
        const sp = scorePair(a, b, this.ctx);
        this.comparisons++;
        for (const g of sp.guards) {
          if (g.guard !== 'twins' || !(namesCompatible(sp.cmp.name) || sp.namesSlipped)) hits.push(g);
        }
        if (sp.cmp.sex === 'disagree' && sp.cmp.nik !== 'exact') {
          hits.push({ guard: 'cluster_inconsistent', reason: 'another sex than a record of the other citizen', recordId: b.rec.id });
        } else if (a.birthForGuards && b.birthForGuards && Math.abs(a.birthForGuards.y - b.birthForGuards.y) >= minGap && sp.cmp.nik !== 'exact') {
          hits.push({ guard: 'cluster_inconsistent', reason: 'birth years a generation apart from a record of the other citizen', recordId: b.rec.id });
        }
        if (hits.length > 0) return hits;
      }
    }
    return hits;
  }

  /** Live records sharing enough usable block weight, most shared weight first, capped. */
  /**
   * Lays each block's entries next to each other after a bulk load (a block walk then reads one
   * stretch of memory instead of a cache miss per entry). The first lookup after many adds does
   * this by itself; a loader calls it to pay the cost as part of the load.
   */
  tighten(): void {
    this.blocks.tighten();
    this.weakBlocks.tighten();
    this.addsSinceLookup = 0;
  }

  private candidateRecords(p: PreparedRecord): number[] {
    if (this.addsSinceLookup >= TIGHTEN_AFTER_ADDS) this.tighten();
    this.addsSinceLookup = 0;
    const q = ++this.queryNo;
    let seen: Int32Array = this.seen;
    let mask = seen.length / 3 - 1;
    let distinct = 0;
    const found: number[] = [];
    const alive = this.alive;
    const bk = blockKeys(p, true);
    this.keysOf = p;
    this.keys = bk;
    const { keys, weights } = bk;
    if (keys.length > this.keySlots.length) {
      this.keySlots = new Int32Array(keys.length * 2);
      this.keyHeads = new Int32Array(keys.length * 2);
    }
    const slots = this.keySlots;
    const heads = this.keyHeads;
    // Every key's slot and first entry before any block is walked; add() reuses the slots.
    for (let i = 0; i < keys.length; i++) {
      const blocks = weights[i] === STRONG_WEIGHT ? this.blocks : this.weakBlocks;
      const slot = blocks.slotOf(keys[i] as number);
      slots[i] = slot;
      heads[i] = blocks.headAt(slot);
    }
    this.keysGeneration = this.blocks.generation;
    this.weakKeysGeneration = this.weakBlocks.generation;
    for (let i = 0; i < keys.length; i++) {
      const w = weights[i] as number;
      const blocks = w === STRONG_WEIGHT ? this.blocks : this.weakBlocks;
      for (let e = heads[i] as number; e !== -1; e = blocks.next(e)) {
        const recNo = blocks.recOf(e);
        let slot = Math.imul(recNo, 0x9e3779b1) & mask;
        for (;;) {
          const o = slot * 3;
          if (seen[o] !== q) {
            seen[o] = q;
            seen[o + 1] = recNo;
            seen[o + 2] = w;
            if (w >= MIN_BLOCK_WEIGHT && alive[recNo] === 1) found.push(recNo);
            if (++distinct * 2 > mask) {
              seen = this.growSeen(q);
              mask = seen.length / 3 - 1;
            }
            break;
          }
          if (seen[o + 1] === recNo) {
            const before = seen[o + 2] as number;
            seen[o + 2] = before + w;
            if (before < MIN_BLOCK_WEIGHT && before + w >= MIN_BLOCK_WEIGHT && alive[recNo] === 1) found.push(recNo);
            break;
          }
          slot = (slot + 1) & mask;
        }
      }
    }
    const max = this.config.blocking.maxCandidates;
    if (found.length <= max) return found;
    const weightOf = new Map<number, number>();
    for (let o = 0; o < seen.length; o += 3) if (seen[o] === q) weightOf.set(seen[o + 1] as number, seen[o + 2] as number);
    found.sort((a, b) => (weightOf.get(b) as number) - (weightOf.get(a) as number) || a - b);
    return found.slice(0, max);
  }

  /** Doubles the query table, keeping the current query's records. */
  private growSeen(q: number): Int32Array {
    const old = this.seen;
    const next = new Int32Array(old.length * 2);
    const mask = next.length / 3 - 1;
    for (let o = 0; o < old.length; o += 3) {
      if (old[o] !== q) continue;
      const recNo = old[o + 1] as number;
      let slot = Math.imul(recNo, 0x9e3779b1) & mask;
      while (next[slot * 3] === q) slot = (slot + 1) & mask;
      next[slot * 3] = q;
      next[slot * 3 + 1] = recNo;
      next[slot * 3 + 2] = old[o + 2] as number;
    }
    this.seen = next;
    return next;
  }

  /** Blocking statistics for monitoring. */
  blockStats(): { blocks: number; oversizedBlocks: number } {
    const a = this.blocks.stats();
    const b = this.weakBlocks.stats();
    return { blocks: a.blocks + b.blocks, oversizedBlocks: a.oversizedBlocks + b.oversizedBlocks };
  }
}
