/** Fellegi–Sunter scoring of a compared pair, term-frequency adjustment, guards and the decision. */
import {
  compareExact, compareFuzzy, compareMothers, FIELDS, namesAgreeEnough, namesCompatible, namesDifferByDroppedParts, namesDifferBySlip, namesRelated,
  sameGivenNameWithInitials, type Comparison,
} from './compare.js';
import type { IdentityConfig, WeightTable } from './config.js';
import { formatYmd } from './dates.js';
import { COMMON_NAME_PARTS, type NameInfo } from './names.js';
import type { PreparedRecord } from './prepare.js';
import type { Evidence, FieldEvidence, FieldName, GuardHit, Outcome } from './types.js';

/**
 * Counts of phonetic full-name keys, for the term-frequency adjustment of name agreement, and of
 * name parts (per record), which tell a clerk's typo (a part nobody else has) from a real name.
 */
export class NameFrequencies {
  private readonly counts = new Map<string, number>();
  private readonly parts = new Map<string, number>();
  private readonly mothers = new Map<string, number>();
  total = 0;
  /** Records whose mother's name was counted. */
  motherTotal = 0;
  /** Names whose parts were counted. */
  partTotal = 0;

  add(key: string, parts?: readonly string[]): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.total++;
    if (parts) {
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as string;
        if (parts.indexOf(part) === i) this.parts.set(part, (this.parts.get(part) ?? 0) + 1);
      }
      this.partTotal++;
    }
  }

  remove(key: string, parts?: readonly string[]): void {
    const c = this.counts.get(key);
    if (c === undefined) return;
    if (c <= 1) this.counts.delete(key);
    else this.counts.set(key, c - 1);
    this.total--;
    if (parts) {
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as string;
        if (parts.indexOf(part) !== i) continue;
        const n = this.parts.get(part) ?? 0;
        if (n <= 1) this.parts.delete(part);
        else this.parts.set(part, n - 1);
      }
      this.partTotal--;
    }
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Counts a record's mother's name (its phonetic key), or takes one back with `by` -1. */
  countMother(key: string, by: 1 | -1 = 1): void {
    const n = (this.mothers.get(key) ?? 0) + by;
    if (n <= 0) this.mothers.delete(key);
    else this.mothers.set(key, n);
    this.motherTotal += by;
  }

  motherCount(key: string): number {
    return this.mothers.get(key) ?? 0;
  }

  /** Names holding this phonetic part. */
  partCount(part: string): number {
    return this.parts.get(part) ?? 0;
  }

  static fromKeys(keys: Iterable<string>): NameFrequencies {
    const f = new NameFrequencies();
    for (const k of keys) f.add(k);
    return f;
  }
}

/**
 * A part at most this many names hold, against one at least COMMON_PART names hold, is a typo of
 * it: parents give twins names that people have (Rina / Rini), a clerk's slip makes one nobody
 * has (Wjii, Rugiyo, Suiyani). Asked only of populations of MIN_PART_POPULATION names or more.
 */
const RARE_PART = 2;
const COMMON_PART = 8;
const MIN_PART_POPULATION = 20_000;

/**
 * Same parts but one, which is a rare part against a common one: "Prayitno Rugiyo" / "Prayitno
 * Tugiyo". Only for the guards, on names that compare as 'typo' (the parts are alike already).
 */
export function typoOfCommonPart(a: NameInfo, b: NameInfo, f: NameFrequencies | null): boolean {
  if (!f || f.partTotal < MIN_PART_POPULATION || a.phon.length !== b.phon.length) return false;
  let at = -1;
  for (let i = 0; i < a.phon.length; i++) {
    if (a.phon[i] === b.phon[i]) continue;
    if (at >= 0) return false;
    at = i;
  }
  if (at < 0) return false;
  const x = f.partCount(a.phon[at] as string);
  const y = f.partCount(b.phon[at] as string);
  return (x <= RARE_PART && y >= COMMON_PART) || (y <= RARE_PART && x >= COMMON_PART);
}

/**
 * One part written with a clerk's slip of another: two letters traded (Dojko / Djoko, Rosanh /
 * Rosnah) or a letter dropped or added inside (Umi / Ui, Faddil / Fadil). Not a letter changed
 * (Rina / Rini, Syukur / Syakur) or added at the end (Dian / Diana): parents name twins so.
 */
export function partSlip(x: string, y: string): boolean {
  if (x === y) return true;
  const lx = x.length;
  const ly = y.length;
  if (lx === ly) {
    if (lx < 3) return false;
    let i = 0;
    while (i < lx && x.charCodeAt(i) === y.charCodeAt(i)) i++;
    return i + 1 < lx && x[i] === y[i + 1] && x[i + 1] === y[i] && x.slice(i + 2) === y.slice(i + 2);
  }
  if (Math.abs(lx - ly) !== 1) return false;
  const [l, s] = lx > ly ? [x, y] : [y, x];
  if (l.length < 3) return false;
  let i = 0;
  while (i < s.length && l.charCodeAt(i) === s.charCodeAt(i)) i++;
  return i > 0 && i < l.length - 1 && l.slice(i + 1) === s.slice(i);
}

/**
 * One person's name written twice, not twins' names: part by part the same, with at most one
 * clerk's slip (partSlip) and perhaps the last parts left off, and what is kept says something
 * (a distinctive part, not Muhammad or Ni Ketut alone). "Rosnah Dewi" / "Rosanh", "Zainudin Amt" /
 * "Zainudin Mat". A slip between two parts many people have (Dian / Dina) is two names, when the
 * population is large enough to tell. Only for the guards.
 */
export function namesSameUpToSlip(a: NameInfo, b: NameInfo, f: NameFrequencies | null): boolean {
  const [s, l] = a.tokens.length <= b.tokens.length ? [a, b] : [b, a];
  const n = s.tokens.length;
  if (n === 0 || n !== s.phon.length || l.tokens.length !== l.phon.length) return false;
  let slips = 0;
  let distinctive = false;
  for (let i = 0; i < n; i++) {
    const x = s.tokens[i] as string;
    const y = l.tokens[i] as string;
    if (x !== y && s.phon[i] !== l.phon[i]) {
      if (++slips > 1 || !partSlip(x, y)) return false;
      if (f && f.partTotal >= MIN_PART_POPULATION && f.partCount(s.phon[i] as string) >= COMMON_PART &&
        f.partCount(l.phon[i] as string) >= COMMON_PART) {
        return false;
      }
    }
    if (y.length > 2 && !COMMON_NAME_PARTS.has(y)) distinctive = true;
  }
  return distinctive && (slips > 0 || n < l.tokens.length);
}

/** Below this many names the frequencies are too noisy to adjust by. */
const MIN_TF_POPULATION = 1000;

export interface ScoreContext {
  config: IdentityConfig;
  weights: WeightTable;
  frequencies: NameFrequencies | null;
}

export interface ScoredPair {
  cmp: Comparison;
  score: number;
  nameWeight: number;
  nameNote: string | undefined;
  motherWeight: number;
  motherNote: string | undefined;
  guards: GuardHit[];
  /**
   * For names that compare as different: whether they still share a first letter or a part (true
   * for every other name level).
   */
  namesRelated: boolean;
  /** Both NIKs present and alike up to the serial (region and birth date digits agree). */
  nikStemAgrees: boolean;
  /** NIKs a digit apart outside the serial where one does not fit its record: one NIK mistyped. */
  nikMistyped: boolean;
  /**
   * NIKs a digit or a transposition apart, both valid, with the name, the birth date and the KK or
   * the mother agreeing: a clerk's typo of one NIK, not two people (twins differ in given names).
   */
  nikTypo: boolean;
  /** The names are one name with a clerk's slip or its last parts left off (namesSameUpToSlip). */
  namesSlipped: boolean;
  /**
   * The NIK (valid, fitting one record's date and sex) carries a real date, and the other date is
   * that date written badly: an admin's placeholder in its year, the year one off, or day and
   * month swapped.
   */
  nikExplainsDates: boolean;
}

function nameWeight(a: PreparedRecord, cmp: Comparison, ctx: ScoreContext): { w: number; note: string | undefined } {
  const base = ctx.weights.name[cmp.name] ?? 0;
  const f = ctx.frequencies;
  const tf = ctx.config.termFrequency;
  if (!tf.enabled || !f || f.total < MIN_TF_POPULATION || (cmp.name !== 'exact' && cmp.name !== 'phonetic')) {
    return { w: base, note: undefined };
  }
  const level = ctx.config.fields.name[cmp.name];
  if (!level) return { w: base, note: undefined };
  const count = Math.max(1, f.count(a.name.phonJoined));
  return { w: tfNameWeight(level.m, count, f.total, tf), note: `name shared by ${count} of ${f.total} records` };
}

function tfNameWeight(m: number, count: number, total: number, tf: IdentityConfig['termFrequency']): number {
  const u = Math.max(count / total, tf.minU);
  return Math.min(tf.maxWeight, Math.max(tf.minWeight, Math.log2(m / u)));
}

/**
 * The most record `a`'s name can weigh against a name with the same phonetic key ('exact' or
 * 'phonetic', adjusted for how common it is), as nameWeight computes it: a common name is far
 * below the adjustment's bound, which a filter on that bound alone would assume.
 */
export function sameNameReach(a: PreparedRecord, ctx: ScoreContext): number {
  const w = ctx.weights.name;
  const f = ctx.frequencies;
  const tf = ctx.config.termFrequency;
  const exact = ctx.config.fields.name.exact;
  const phonetic = ctx.config.fields.name.phonetic;
  if (!tf.enabled || !f || f.total < MIN_TF_POPULATION) return Math.max(w.exact ?? 0, w.phonetic ?? 0);
  const count = Math.max(1, f.count(a.name.phonJoined));
  return Math.max(
    exact ? tfNameWeight(exact.m, count, f.total, tf) : (w.exact ?? 0),
    phonetic ? tfNameWeight(phonetic.m, count, f.total, tf) : (w.phonetic ?? 0),
  );
}

/**
 * The weight of mothers' names that agree, lowered when the name is common among mothers: in a
 * kabupaten hundreds of mothers are called Siti Aminah (or, in a Balinese tiyuh, Ni Wayan Sumertini),
 * and two namesakes sharing such a mother's name are no rarer than namesakes. Never raised above
 * the level's weight: a rare name keeps it.
 */
function motherWeight(a: NameInfo, b: NameInfo, level: string, ctx: ScoreContext): { w: number; note: string | undefined } {
  const base = ctx.weights.motherName[level] ?? 0;
  const f = ctx.frequencies;
  const tf = ctx.config.termFrequency;
  if (level !== 'agree' || !tf.enabled || !f || f.motherTotal < MIN_TF_POPULATION || a.phonJoined !== b.phonJoined) {
    return { w: base, note: undefined };
  }
  const agree = ctx.config.fields.motherName.agree;
  if (!agree) return { w: base, note: undefined };
  const count = Math.max(1, f.motherCount(a.phonJoined));
  const u = Math.max(count / f.motherTotal, tf.minU);
  const w = Math.min(base, Math.max(tf.minWeight, Math.log2(agree.m / u)));
  return { w, note: w < base ? `mother's name shared by ${count} of ${f.motherTotal} records` : undefined };
}

/** Guards that forbid an automatic link whatever the score. `b` is the record the guard names. */
const NO_GUARDS: GuardHit[] = [];

export function pairGuards(
  a: PreparedRecord, b: PreparedRecord, cmp: Comparison, config: IdentityConfig, frequencies: NameFrequencies | null = null,
): GuardHit[] {
  const hits: GuardHit[] = [];
  if (
    !a.nik?.valid && cmp.birthDate !== 'exact' && cmp.birthDate !== 'exact_placeholder' && !namesCompatible(cmp.name) &&
    cmp.kk !== 'same' && cmp.motherName !== 'agree'
  ) {
    return NO_GUARDS;
  }
  const sameDate = cmp.birthDate === 'exact' || cmp.birthDate === 'exact_placeholder';
  const sameFamily = cmp.kk === 'same' || cmp.motherName === 'agree';
  const upToSlip = nameUpToSlip(a, b, cmp, frequencies);
  if (
    a.nik?.valid && b.nik?.valid && a.nik.digits !== b.nik.digits && a.nikSelfConsistent && b.nikSelfConsistent &&
    !nikTypoOf(a, b, cmp, sameDate, upToSlip)
  ) {
    hits.push({ guard: 'nik_conflict', reason: 'two valid NIKs, each consistent with its own birth date and sex', recordId: b.rec.id });
  }
  // Twins cannot share a NIK, so an agreeing NIK means a misspelt name, not a twin. Twins' NIKs
  // differ only in the serial and both fit the shared birth date: NIKs a digit apart where one does
  // not fit its record are one NIK mistyped, which says "one person" as an agreeing NIK does.
  // A slip in the serial says nothing either way (a twin's NIK is one serial away): there the
  // record's birth date, not the NIK, is the one mistyped.
  const nikSaysSame =
    cmp.nik === 'exact' ||
    ((cmp.nik === 'one_digit' || cmp.nik === 'transposed') && !(a.nikSelfConsistent && b.nikSelfConsistent) &&
      !sameNikStem(a, b));
  // Within one family even a name that contains the other ("Yusril" / "Rizal Yusril") may be the
  // twin; the same given name with the rest as matching initials ("Sukamto B.") is not.
  // A letter dropped or two swapped inside a part of a longer name, or a part nobody else has
  // against a common one, is a clerk's slip, not the name parents give a twin.
  const slip = cmp.name === 'typo' && cmp.sex !== 'disagree' &&
    (namesDifferBySlip(a.name, b.name) || typoOfCommonPart(a.name, b.name, frequencies));
  // Under another sex only the same name written alike is one person (the sex mistyped): a brother
  // and a sister born the same day carry close names (300k seed 7: twins merged on 'close' names).
  const namesSame =
    cmp.name === 'exact' || cmp.name === 'phonetic' ||
    (cmp.sex !== 'disagree' && (cmp.name === 'close' || slip || upToSlip ||
      (cmp.name === 'partial' && sameFamily &&
        (sameGivenNameWithInitials(a.name, b.name) || namesDifferByDroppedParts(a.name, b.name)))));
  if (
    sameDate && !nikSaysSame &&
    ((sameFamily && !namesSame) || (cmp.village === 'same' && !namesCompatible(cmp.name) && !slip && !upToSlip))
  ) {
    hits.push({ guard: 'twins', reason: 'same family or village, same birth date, different given names', recordId: b.rec.id });
  } else if (sameFamily && !namesSame && !nikSaysSame && cmp.birthDate !== 'missing' && !sameDate) {
    // Within one family a name and a birth date that both differ describe a sibling (or a twin
    // with a mistyped year) more often than one person written twice.
    hits.push({ guard: 'twins', reason: 'same family, given names and birth dates both differ', recordId: b.rec.id });
  }
  // A parent and the child named after them share a household, a village or a mother; without any
  // of these fields (FEBRL) a date that differs is weighed by its learned m/u, not ruled on.
  if (namesCompatible(cmp.name) && a.birthForGuards && b.birthForGuards && familyContext(cmp)) {
    const gap = Math.abs(a.birthForGuards.y - b.birthForGuards.y);
    if (gap >= config.guards.parentChildMinYears) {
      hits.push({ guard: 'parent_child', reason: `same name, birth years ${gap} apart`, recordId: b.rec.id });
    }
  }
  return hits.length > 0 ? hits : NO_GUARDS;
}

/**
 * A NIK a digit or a transposition off another, under the same name (up to a slip) and the same
 * birth date: one NIK mistyped when the family agrees. Twins' NIKs differ just so, but twins differ
 * in their given names. In one household (the same KK) whichever digit differs: one family
 * registers in one place. With the same mother's name, a digit of the serial or a transposition.
 * A digit of the region differing under a mother's name alone is namesakes born the same day in
 * two kecamatan, each with a NIK of their own; with no family field in common, even a digit of the
 * serial (300k generated records, seed 1812: two namesakes of one kecamatan born the same day,
 * serials 0001 and 0002). Under a mother's name alone the date must be a real one, not a
 * placeholder many share, and the name whole, not with a part left off (300k seed 7: namesakes of
 * one kecamatan under one mother's name on serials a digit apart, one pair "born" on a placeholder
 * date, one pair with a name a part shorter).
 */
function nikTypoOf(a: PreparedRecord, b: PreparedRecord, cmp: Comparison, sameDate: boolean, upToSlip: boolean): boolean {
  if ((cmp.nik !== 'transposed' && cmp.nik !== 'one_digit') || !sameDate || cmp.sex === 'disagree' || !upToSlip) return false;
  if (cmp.kk === 'same') return true;
  return cmp.motherName === 'agree' && cmp.birthDate === 'exact' && cmp.name !== 'partial' &&
    (cmp.nik === 'transposed' || sameNikStem(a, b));
}

/**
 * The same name, up to spelling, one clerk's slip or the last parts left off. Not merely 'close':
 * Sukamto / Sukamti are close, and twins.
 */
function nameUpToSlip(a: PreparedRecord, b: PreparedRecord, cmp: Comparison, f: NameFrequencies | null): boolean {
  if (cmp.name === 'exact' || cmp.name === 'phonetic') return true;
  return cmp.sex !== 'disagree' && cmp.name !== 'missing' && namesSameUpToSlip(a.name, b.name, f);
}

/** Both NIKs the same up to the serial (region and birth date digits agree). */
function sameNikStem(a: PreparedRecord, b: PreparedRecord): boolean {
  const x = a.nik?.digits;
  const y = b.nik?.digits;
  if (!x || !y) return false;
  for (let i = 0; i < 12; i++) if (x.charCodeAt(i) !== y.charCodeAt(i)) return false;
  return true;
}

/** One household shares KK, address and village: they add nothing once the KK agrees. */
function addressWeight(cmp: Comparison, w: WeightTable): number {
  return cmp.kk === 'same' ? 0 : (w.address[cmp.address] ?? 0);
}

function villageWeight(cmp: Comparison, w: WeightTable): number {
  return cmp.kk === 'same' ? 0 : (w.village[cmp.village] ?? 0);
}

function postcodeWeight(cmp: Comparison, w: WeightTable): number {
  return cmp.kk === 'same' ? 0 : (w.postcode[cmp.postcode] ?? 0);
}

function localityWeight(cmp: Comparison, w: WeightTable): number {
  return cmp.kk === 'same' ? 0 : (w.locality[cmp.locality] ?? 0);
}

export function scorePair(a: PreparedRecord, b: PreparedRecord, ctx: ScoreContext): ScoredPair {
  return scoreComparedAbove(a, b, compareExact(a, b), ctx, -Infinity) as ScoredPair;
}

function maxWeight(levels: Record<string, number>): number {
  let m = 0;
  for (const v of Object.values(levels)) if (v > m) m = v;
  return m;
}

/** The most the fields compared by similarity can add: what a pair still lacking them could reach. */
export interface Reach {
  /** Best name weight (the term-frequency adjustment included). */
  name: number;
  /** Best name weight of names whose phonetic keys differ (neither exact nor phonetic). */
  nameUnlike: number;
  mother: number;
  birthPlace: number;
  locality: number;
  /** What an address that differs as written may still add as 'close'. */
  addressClose: number;
}
const reachCache = new WeakMap<WeightTable, Reach>();

export function reachOf(ctx: Pick<ScoreContext, 'config' | 'weights'>): Reach {
  let r = reachCache.get(ctx.weights);
  if (r === undefined) {
    const tf = ctx.config.termFrequency;
    const { exact: _e, phonetic: _p, ...unlike } = ctx.weights.name;
    r = {
      // The term-frequency adjustment can lift an exact name up to its own bound.
      name: Math.max(maxWeight(ctx.weights.name), tf.enabled ? tf.maxWeight : 0),
      nameUnlike: maxWeight(unlike),
      mother: maxWeight(ctx.weights.motherName),
      birthPlace: maxWeight(ctx.weights.birthPlace),
      locality: maxWeight(ctx.weights.locality),
      addressClose: Math.max(0, (ctx.weights.address.close ?? 0) - (ctx.weights.address.different ?? 0)),
    };
    reachCache.set(ctx.weights, r);
  }
  return r;
}

/** Sums below the floor by less than this are still scored in full (rounding in a different order). */
const REACH_SLACK = 1e-6;

/** The weights of the fields compared by equality (compareExact's). */
export function exactFieldsWeight(cmp: Comparison, w: WeightTable): number {
  return (w.nik[cmp.nik] ?? 0) + (w.birthDate[cmp.birthDate] ?? 0) + (w.sex[cmp.sex] ?? 0) + (w.kk[cmp.kk] ?? 0) +
    villageWeight(cmp, w) + addressWeight(cmp, w) + postcodeWeight(cmp, w) + (w.religion[cmp.religion] ?? 0) +
    (w.occupation[cmp.occupation] ?? 0);
}

/** Whether a pair whose equality fields sum (with the reach of the others) to `reach` can reach `floor`. */
export function withinReach(reach: number, floor: number): boolean {
  return reach >= floor - REACH_SLACK;
}

/**
 * The scored pair (its fields compared by equality already in `cmp`, which is completed), or null
 * when it cannot reach `floor`: the mothers' names (a full name comparison) are compared last, and
 * only when their best weight could still lift the pair to `floor`. The index rules most strangers
 * out before this, on their rows of integers (ExactColumns).
 */
export function scoreComparedAbove(a: PreparedRecord, b: PreparedRecord, cmp: Comparison, ctx: ScoreContext, floor: number): ScoredPair | null {
  const w = ctx.weights;
  compareFuzzy(a, b, cmp);
  let mw: { w: number; note: string | undefined } = { w: 0, note: undefined };
  const nw = nameWeight(a, cmp, ctx);
  let score =
    (w.nik[cmp.nik] ?? 0) + nw.w + (w.birthDate[cmp.birthDate] ?? 0) + (w.sex[cmp.sex] ?? 0) +
    (w.kk[cmp.kk] ?? 0) + villageWeight(cmp, w) +
    (w.birthPlace[cmp.birthPlace] ?? 0) + addressWeight(cmp, w) + postcodeWeight(cmp, w) + localityWeight(cmp, w) +
    (w.religion[cmp.religion] ?? 0) + (w.occupation[cmp.occupation] ?? 0);
  if (a.mother && b.mother) {
    if (score + reachOf(ctx).mother < floor) return null;
    cmp.motherName = compareMothers(a.mother, b.mother);
    mw = motherWeight(a.mother, b.mother, cmp.motherName, ctx);
    score += mw.w;
  }
  if (score < floor) return null;
  const related = cmp.name !== 'different' || namesRelated(a.name, b.name);
  const nikMistyped = (cmp.nik === 'one_digit' || cmp.nik === 'transposed') && !(a.nikSelfConsistent && b.nikSelfConsistent) &&
    !sameNikStem(a, b);
  const upToSlip = nameUpToSlip(a, b, cmp, ctx.frequencies);
  const slipped = upToSlip && !namesCompatible(cmp.name);
  const sameDate = cmp.birthDate === 'exact' || cmp.birthDate === 'exact_placeholder';
  const nikTypo = a.nikSelfConsistent && b.nikSelfConsistent &&
    nikTypoOf(a, b, cmp, sameDate, upToSlip);
  return {
    cmp, score, nameWeight: nw.w, nameNote: nw.note, motherWeight: mw.w, motherNote: mw.note, guards: pairGuards(a, b, cmp, ctx.config, ctx.frequencies), namesRelated: related, nikMistyped, nikTypo,
    namesSlipped: slipped, nikStemAgrees: sameNikStem(a, b),
    nikExplainsDates: (a.nikSelfConsistent || b.nikSelfConsistent) &&
      ((cmp.birthDate === 'placeholder_year' && a.birth?.y === b.birth?.y) || cmp.birthDate === 'year_off' || cmp.birthDate === 'swapped'),
  };
}

/**
 * Two people by hard evidence, not a case for staff: each holds a valid NIK that fits their own
 * birth date and sex, the NIKs differ, and the rest disagrees too: another name (siblings, twins),
 * a twin or parent guard, or NIKs unlike each other under different dates. At 50k generated
 * records these were 2,700 of 3,500 review pairs, one of them the same person. Also the same name
 * a generation apart with nothing else tying them (no NIK or mother agreeing): 83 pairs, none
 * the same person.
 */
function settledApart(sp: ScoredPair, guards: GuardHit[]): boolean {
  let nik = false;
  let family = false;
  let parent = false;
  for (const g of guards) {
    if (g.guard === 'nik_conflict') nik = true;
    else if (g.guard === 'twins') family = true;
    else if (g.guard === 'parent_child') family = parent = true;
  }
  const c = sp.cmp;
  const nikAlike = c.nik === 'exact' || c.nik === 'one_digit' || c.nik === 'transposed';
  // A parent and the child named after them have different mothers; nothing ties them but the name.
  if (!nik && parent && c.motherName !== 'agree' && c.motherName !== 'similar' && !nikAlike) return true;
  // Birth years a generation apart, with no NIK alike and at most a common mother's name in
  // common (Siti Aminah is the mother of many, in both generations), are two people. A year
  // written wrong keeps day and month ('one_part': 1985 / 1958) and stays for staff, as does a
  // rare mother's name. At 300k generated records (seed 1812) 54 such cases, none one person.
  if (!nik && parent && !nikAlike && c.birthDate !== 'one_part' && (c.motherName !== 'agree' || sp.motherNote !== undefined)) {
    return true;
  }
  // A brother and a sister in one family born the same day, or siblings under unrelated names
  // (no first letter or part in common): at 50k generated records 63 of 66 such review pairs were
  // two people, and the three others a name written beyond recognition.
  if (!nik && family && ((c.name === 'different' && !sp.namesRelated) || ((c.name === 'different' || c.name === 'one_part') && c.sex === 'disagree'))) {
    return true;
  }
  // Siblings: in one family another given name (not a slip, not a part left off) under a birth
  // date that differs in two of its three parts. One person written twice keeps at least the name
  // or the date. At 300k (seed 1812) 52 such cases, none one person.
  if (!nik && family && !nikAlike && !sp.namesSlipped && c.birthDate === 'different' &&
    (c.name === 'different' || c.name === 'one_part' || c.name === 'similar')) {
    return true;
  }
  // Two valid NIKs a digit apart in the region code, under the same birth date but not the same
  // name: namesakes or near-namesakes born the same day in two kecamatan (a typo of the region
  // under one person's name compares exact or close). At 50k: 37 of 39 such pairs two people.
  if (nik && c.nik === 'one_digit' && !sp.nikStemAgrees && c.name !== 'exact' && c.name !== 'phonetic' && c.name !== 'close') {
    return true;
  }
  // Namesakes: the same name under birth dates that differ outright, with no NIK on one side and
  // neither KK nor address shared. At 300k generated records 731 such review pairs, one person once.
  if (!nik && familyContext(c) && (c.name === 'exact' || c.name === 'phonetic') && c.birthDate === 'different' && c.nik === 'missing' &&
    c.kk !== 'same' && c.address !== 'similar' && c.address !== 'close') {
    return true;
  }
  if (!nik) return false;
  // Two valid NIKs, each fitting its own date, under dates that differ beyond a slip, or under
  // mothers' names that differ with the names not the same: 0 of 220 such pairs one person at 300k.
  if (c.birthDate === 'one_part' || c.birthDate === 'different') return true;
  if (c.motherName === 'different' && c.name !== 'exact' && c.name !== 'phonetic') return true;
  // Two valid NIKs, each fitting its own date, with nothing of a household in common (another
  // KK, no mother's name agreeing) are two people when one more thing says so: mothers' names
  // that differ under addresses that differ (namesakes born the same day: 67 cases at 300k seed
  // 1812, one of them one person), another given name (a part with no counterpart, not a slip:
  // 84 cases, none one person), or NIKs more than a typo apart (28 cases, none). What stays for
  // staff is the same name on NIKs a typo apart: mostly one person whose NIK was mistyped.
  if (c.kk !== 'same' && c.motherName !== 'agree') {
    if (c.motherName === 'different' && c.address !== 'similar' && c.address !== 'close') return true;
    if (c.name === 'similar' && !sp.namesSlipped) return true;
    if (c.nik === 'different') return true;
  }
  return family || c.name === 'different' || c.name === 'one_part' ||
    (c.nik === 'different' && c.birthDate !== 'exact' && c.birthDate !== 'exact_placeholder');
}

/** Whether both records carry a field of the family or the state (NIK, KK, mother, village). */
export function familyContext(c: Comparison): boolean {
  return c.nik !== 'missing' || c.kk !== 'missing' || c.motherName !== 'missing' || c.village !== 'missing';
}

/** Score band, then the guards and the minimum-evidence rule can only lower a match to possible. */
export function decide(sp: ScoredPair, guards: GuardHit[], config: IdentityConfig): Outcome {
  const t = config.thresholds;
  if (sp.score < t.possible) return 'distinct';
  if (settledApart(sp, guards)) return 'distinct';
  if (sp.score < t.match) return 'possible';
  if (guards.length > 0) return 'possible';
  // A shared NIK under an unrelated name is a registration error, a reused NIK or a mistyped one
  // that landed on another person's: the NIK encodes the birth date, so agreeing dates add nothing.
  // A name written badly (Dwi / Di, Tri Sutanto / Tri) still shares a first letter or a part; an
  // unrelated name is one person only when the household, the village or the mother says so too.
  if (sp.cmp.nik === 'exact' && sp.cmp.name === 'different') {
    // Dates that differ say the NIK was entered for someone else (a parent's, a sibling's). An
    // admin's placeholder (1 January ...) in the year of a date the NIK carries, or that date with
    // the year a digit off or day and month swapped, is that date written badly, not another one.
    if (sp.cmp.birthDate !== 'exact' && sp.cmp.birthDate !== 'exact_placeholder' && !sp.nikExplainsDates) return 'possible';
    if (!sp.namesRelated && sp.cmp.motherName !== 'agree' && sp.cmp.kk !== 'same' && sp.cmp.village !== 'same') return 'possible';
  }
  // A NIK landing on another person's: the sex, the name and the mother's name all say someone else.
  if (
    sp.cmp.nik === 'exact' && sp.cmp.sex === 'disagree' && !namesAgreeEnough(sp.cmp.name) && !sp.namesSlipped &&
    sp.cmp.motherName !== 'agree' && sp.cmp.motherName !== 'similar'
  ) {
    return 'possible';
  }
  const nikAgrees = sp.cmp.nik === 'exact';
  // The two rules below keep a household's fields from linking its members (siblings share KK,
  // mother, village and address). A pair with none of the family's or the state's fields on both
  // sides (no NIK, KK, mother or village: a list kept elsewhere, FEBRL) cannot tell a sibling by
  // them, and the rules would only refuse what the evidence says: there the score decides alone,
  // the Fellegi–Sunter posterior with the learned m/u and the term frequencies.
  if (!familyContext(sp.cmp)) return 'match';
  // Without a date, the mother's name tells a parent from a namesake child.
  if (config.guards.requireDateOrNik && sp.cmp.birthDate === 'missing' && !nikAgrees && sp.cmp.motherName !== 'agree') {
    return 'possible';
  }
  if (config.guards.requireNameAndDate && !nikAgrees) {
    // A mistyped NIK is still the other record's NIK: with the same birth date it vouches for a
    // name with two slips ("Latfiah Zaha" / "Latifah Zahra") as an agreeing NIK would.
    const nikVouches =
      sp.nikMistyped && sp.cmp.name === 'similar' && (sp.cmp.birthDate === 'exact' || sp.cmp.birthDate === 'exact_placeholder');
    if ((!namesAgreeEnough(sp.cmp.name) && !nikVouches && !sp.namesSlipped) || sp.cmp.birthDate === 'different') return 'possible';
  }
  return 'match';
}

function fieldValue(r: PreparedRecord, f: FieldName): string | null {
  const rec = r.rec;
  switch (f) {
    case 'nik': return rec.nik ?? null;
    case 'name': return rec.fullName;
    case 'birthDate': return r.birth ? formatYmd(r.birth) : (rec.birthDate ?? null);
    case 'sex': return r.sex;
    case 'motherName': return rec.motherName ?? null;
    case 'kk': return rec.kk ?? null;
    case 'village': return r.village;
    case 'birthPlace': return rec.birthPlace ?? null;
    case 'address': return rec.address ?? null;
    case 'locality': return rec.locality ?? null;
    case 'postcode': return rec.postcode ?? null;
    case 'religion': return rec.religion ?? null;
    case 'occupation': return rec.occupation ?? null;
  }
}

export function evidenceOf(a: PreparedRecord, b: PreparedRecord, sp: ScoredPair, guards: GuardHit[], weights: WeightTable): Evidence {
  const fields: FieldEvidence[] = [];
  for (const f of FIELDS) {
    const level = sp.cmp[f as keyof Comparison];
    const weight =
      f === 'name' ? sp.nameWeight
        : f === 'motherName' ? sp.motherWeight
        : f === 'address' ? addressWeight(sp.cmp, weights)
          : f === 'village' ? villageWeight(sp.cmp, weights)
            : f === 'postcode' ? postcodeWeight(sp.cmp, weights)
              : f === 'locality' ? localityWeight(sp.cmp, weights)
            : (weights[f][level] ?? 0);
    const e: FieldEvidence = { field: f, a: fieldValue(a, f), b: fieldValue(b, f), level, weight: Math.round(weight * 100) / 100 };
    if (f === 'name' && sp.nameNote) e.note = sp.nameNote;
    if (f === 'motherName' && sp.motherNote) e.note = sp.motherNote;
    if (f === 'nik' && sp.nikTypo) e.note = 'NIK typo: name, birth date and KK or mother agree';
    if (f === 'name' && sp.namesSlipped) e.note = 'one name with a clerk\'s slip or its last parts left off';
    fields.push(e);
  }
  return { fields, score: Math.round(sp.score * 100) / 100, guards };
}
