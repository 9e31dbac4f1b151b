/**
 * The fields an index compares by equality, as one row of integers per record. Scoring a candidate
 * first reads its row (one or two cache lines) instead of following a pointer per field into the
 * heap: most candidates are strangers whose row alone shows they cannot reach review level, and
 * their records are never touched.
 */
import { hashKey } from './blocking.js';
import type { WeightTable } from './config.js';
import { compareYmd } from './dates.js';
import { compareNikHalves, nikHalf } from './nik.js';
import type { PreparedRecord } from './prepare.js';
import type { Comparison } from './compare.js';
import { exactFieldsWeight, type Reach } from './score.js';

const STRIDE = 12;
const NIK_HI = 0;
const NIK_LO = 1;
/** y * 10000 + m * 100 + d, 0 when unknown. */
const BIRTH = 2;
/**
 * Sex (0 unknown, 1 M, 2 F) | 4 when the mother's name is known | 8 when the locality is; bits
 * 8-15 and 16-23: the first letters of the birth place and of the locality (0 unknown).
 */
const FLAGS = 3;
/** Interned values: 0 unknown, -1 (queries only) a value no record has. */
const KK = 4;
const VILLAGE = 5;
const ADDRESS = 6;
const RELIGION = 7;
const OCCUPATION = 8;
/** Hash of the name's phonetic key: different hashes mean the names are neither exact nor phonetic. */
const NAME = 9;
const POSTCODE = 10;
/**
 * Hash of the address's numbers + 1 when it has letters too, else 0: addresses whose numbers
 * differ cannot compare as 'close'.
 */
const ADDRESS_NUMBERS = 11;

const HAS_MOTHER = 4;
const HAS_LOCALITY = 8;

type Interned = 'kk' | 'village' | 'address' | 'postcode' | 'religion' | 'occupation';

export class ExactColumns {
  private rows = new Int32Array(STRIDE * 1024);
  private readonly query = new Int32Array(STRIDE);
  private readonly ids: Record<Interned, Map<string, number>> = {
    kk: new Map(), village: new Map(), address: new Map(), postcode: new Map(), religion: new Map(), occupation: new Map(),
  };

  /** Writes record `recNo`'s row. */
  set(recNo: number, p: PreparedRecord): void {
    if ((recNo + 1) * STRIDE > this.rows.length) {
      const rows = new Int32Array(this.rows.length * 2);
      rows.set(this.rows);
      this.rows = rows;
    }
    const o = recNo * STRIDE;
    if (p !== this.queryOf) {
      this.fill(this.rows, o, p, true);
      return;
    }
    // The record just looked up (the identify stage adds what it resolved): its row is the
    // query's, but for values no record had, which get their ids now.
    const rows = this.rows;
    rows.set(this.query, o);
    if (rows[o + KK] === -1) rows[o + KK] = this.id('kk', p.kk, true);
    if (rows[o + VILLAGE] === -1) rows[o + VILLAGE] = this.id('village', p.village, true);
    if (rows[o + ADDRESS] === -1) rows[o + ADDRESS] = this.id('address', p.address, true);
    if (rows[o + RELIGION] === -1) rows[o + RELIGION] = this.id('religion', p.religion, true);
    if (rows[o + OCCUPATION] === -1) rows[o + OCCUPATION] = this.id('occupation', p.occupation, true);
    if (rows[o + POSTCODE] === -1) rows[o + POSTCODE] = this.id('postcode', p.postcode, true);
  }

  /** The record whose row `query` holds. */
  private queryOf: PreparedRecord | null = null;
  /** The most the query's name weighs against a name of the same phonetic key; NaN until asked. */
  private sameNameReach = NaN;

  /**
   * `nameReachOf` (score.ts sameNameReach) bounds a query's name against names of the same key
   * below the term-frequency adjustment's bound; it is asked only of a query that meets such a name.
   */
  constructor(private readonly w: WeightTable, private readonly reach: Reach, private readonly nameReachOf?: (p: PreparedRecord) => number) {}

  /** Takes the row of the record about to be looked up. */
  setQuery(p: PreparedRecord): void {
    this.fill(this.query, 0, p, false);
    this.queryOf = p;
    this.sameNameReach = NaN;
  }

  private queryNameReach(): number {
    const p = this.queryOf as PreparedRecord;
    // A hash collision of two keys may still compare as any level but exact or phonetic.
    this.sameNameReach = Math.max(this.nameReachOf ? this.nameReachOf(p) : this.reach.name, this.reach.nameUnlike);
    return this.sameNameReach;
  }

  private id(field: Interned, value: string | null, add: boolean): number {
    if (value === null) return 0;
    const map = this.ids[field];
    const id = map.get(value);
    if (id !== undefined) return id;
    if (!add) return -1;
    map.set(value, map.size + 1);
    return map.size;
  }

  private fill(out: Int32Array, o: number, p: PreparedRecord, add: boolean): void {
    const nik = p.nik?.digits;
    out[o + NIK_HI] = nik ? nikHalf(nik, 0) : -1;
    out[o + NIK_LO] = nik ? nikHalf(nik, 8) : -1;
    out[o + BIRTH] = p.birth ? p.birth.y * 10000 + p.birth.m * 100 + p.birth.d : 0;
    out[o + FLAGS] = (p.sex === 'M' ? 1 : p.sex === 'F' ? 2 : 0) | (p.mother ? HAS_MOTHER : 0) | (p.locality ? HAS_LOCALITY : 0) |
      (p.birthPlace ? (p.birthPlace.charCodeAt(0) & 0xff) << 8 : 0) | (p.locality ? (p.locality.charCodeAt(0) & 0xff) << 16 : 0);
    out[o + KK] = this.id('kk', p.kk, add);
    out[o + VILLAGE] = this.id('village', p.village, add);
    out[o + ADDRESS] = this.id('address', p.address, add);
    out[o + RELIGION] = this.id('religion', p.religion, add);
    out[o + OCCUPATION] = this.id('occupation', p.occupation, add);
    out[o + NAME] = hashKey(0, p.name.phonJoined);
    out[o + POSTCODE] = this.id('postcode', p.postcode, add);
    const parts = p.addressParts;
    out[o + ADDRESS_NUMBERS] = parts && parts.letters.length > 0 ? hashKey(0, parts.numbers) + 1 : 0;
  }

  /**
   * Compares the query with record `recNo` on the fields compared by equality, into `cmp` (the
   * others are left as they are), and answers the weights they give as scorePair gives them plus
   * the most the other fields could add: below review level, the record cannot be the query's.
   */
  compare(recNo: number, cmp: Comparison): number {
    const q = this.query;
    const r = this.rows;
    const o = recNo * STRIDE;
    const w = this.w;
    const qh = q[NIK_HI] as number;
    const rh = r[o + NIK_HI] as number;
    cmp.nik = qh !== -1 && rh !== -1 ? compareNikHalves(qh, q[NIK_LO] as number, rh, r[o + NIK_LO] as number) : 'missing';
    const qb = q[BIRTH] as number;
    const rb = r[o + BIRTH] as number;
    cmp.birthDate = qb !== 0 && rb !== 0
      ? compareYmd((qb / 10000) | 0, ((qb / 100) | 0) % 100, qb % 100, (rb / 10000) | 0, ((rb / 100) | 0) % 100, rb % 100)
      : 'missing';
    const qf = q[FLAGS] as number;
    const rf = r[o + FLAGS] as number;
    cmp.sex = (qf & 3) === 0 || (rf & 3) === 0 ? 'missing' : (qf & 3) === (rf & 3) ? 'agree' : 'disagree';
    cmp.kk = level(q[KK] as number, r[o + KK] as number, 'same', 'different');
    cmp.village = level(q[VILLAGE] as number, r[o + VILLAGE] as number, 'same', 'different');
    cmp.address = level(q[ADDRESS] as number, r[o + ADDRESS] as number, 'similar', 'different');
    cmp.postcode = level(q[POSTCODE] as number, r[o + POSTCODE] as number, 'same', 'different');
    cmp.religion = level(q[RELIGION] as number, r[o + RELIGION] as number, 'agree', 'different');
    cmp.occupation = level(q[OCCUPATION] as number, r[o + OCCUPATION] as number, 'agree', 'different');
    const reach = this.reach;
    // Birth places and localities agree only on the same first letter; addresses are close only
    // with the same numbers (compareFuzzy): else they add what 'different' adds.
    const qa = q[ADDRESS_NUMBERS] as number;
    return (
      exactFieldsWeight(cmp, w) + placeReach(qf, rf, 8, reach.birthPlace, w.birthPlace.different ?? 0) +
      ((qf & rf & HAS_LOCALITY) !== 0 ? placeReach(qf, rf, 16, reach.locality, cmp.kk === 'same' ? 0 : (w.locality.different ?? 0)) : 0) +
      (cmp.address === 'different' && qa !== 0 && qa === r[o + ADDRESS_NUMBERS] ? reach.addressClose : 0) +
      (q[NAME] === r[o + NAME] ? (this.sameNameReach === this.sameNameReach ? this.sameNameReach : this.queryNameReach()) : reach.nameUnlike) +
      ((qf & HAS_MOTHER) !== 0 && (rf & HAS_MOTHER) !== 0 ? reach.mother : 0)
    );
  }
}

/** The most a place (first letter at bit `shift` of the flags) adds: `different` under other first letters. */
function placeReach(qf: number, rf: number, shift: number, best: number, different: number): number {
  const a = (qf >> shift) & 0xff;
  const b = (rf >> shift) & 0xff;
  return a !== 0 && b !== 0 && a !== b ? different : best;
}

function level<S extends string, D extends string>(a: number, b: number, same: S, different: D): S | D | 'missing' {
  if (a === 0 || b === 0) return 'missing';
  return a === b ? same : different;
}
