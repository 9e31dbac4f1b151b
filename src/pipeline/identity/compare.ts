/** Field-by-field comparison of two prepared records into discrete Fellegi–Sunter levels. */
import { compareDates, type DateLevel } from './dates.js';
import { jaroWinkler } from './jaroWinkler.js';
import { COMMON_NAME_PARTS, type NameInfo } from './names.js';
import { compareNikDigits, type NikLevel } from './nik.js';
import type { AddressParts, PreparedRecord } from './prepare.js';
import type { FieldName } from './types.js';

export type NameLevel = 'exact' | 'phonetic' | 'close' | 'partial' | 'typo' | 'similar' | 'one_part' | 'different' | 'missing';

/** Name levels under which two names are plainly the same person's (a differing part is not a typo of another name). */
export function namesCompatible(level: NameLevel): boolean {
  return level === 'exact' || level === 'phonetic' || level === 'close' || level === 'partial';
}

/** Levels strong enough for an automatic link without an agreeing NIK. */
export function namesAgreeEnough(level: NameLevel): boolean {
  return namesCompatible(level) || level === 'typo';
}

const TOKEN_CLOSE = 0.9;
/** One part this close to its counterpart is probably a typo (or the sibling's name: Rina/Rini). */
const TOKEN_TYPO = 0.84;

/** First letters of phonetic keys that an initial may stand for: kh/ch become h, but "K." is written for Khotimah. */
function sameInitial(a: number, b: number): boolean {
  return a === b || (a === 104 && (b === 107 || b === 99)) || (b === 104 && (a === 107 || a === 99));
}

/** How one phonetic part of the shorter name is found in the longer one. */
function tokenFound(t: string, others: string[]): 'same' | 'close' | 'initial' | null {
  for (const o of others) if (o === t) return 'same';
  let best: 'close' | 'initial' | null = null;
  for (const o of others) {
    if (t.length === 1 || o.length === 1) {
      if (sameInitial(t.charCodeAt(0), o.charCodeAt(0))) best = best ?? 'initial';
      continue;
    }
    // Jaro-Winkler >= 0.9 needs Jaro >= 0.83, out of reach when one part is over twice the other.
    const la = t.length;
    const lb = o.length;
    if ((la < lb ? la / lb : lb / la) < 0.5) continue;
    if (jaroWinkler(t, o) >= TOKEN_CLOSE || (la === lb && oneSibilant(t, o))) return 'close';
  }
  return best;
}

/**
 * Same letters but one s against a j (from z) after the first: Rizki/Riski, Faizal/Faisal are one
 * name written two ways, where Jaro-Winkler of a short part falls just under the close level.
 */
function oneSibilant(a: string, b: string): boolean {
  let diff = -1;
  for (let i = 1; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (diff >= 0 || !((x === 106 && y === 115) || (x === 115 && y === 106))) return false;
    diff = i;
  }
  return diff > 0 && a.charCodeAt(0) === b.charCodeAt(0);
}

/**
 * exact: same canonical letters (also when split or joined differently); phonetic: same phonetic key;
 * close: every part has a close counterpart, same number of parts (typos, reordering); partial: the
 * shorter name's parts all occur in the longer one or as its initials (dropped parts, "Siti A.");
 * typo: same parts but one, which is close to its counterpart (a typo, or a sibling's Rina/Rini);
 * similar: the whole strings are alike but a part has no counterpart (typically another given name);
 * different.
 */
export function compareNames(a: NameInfo | null, b: NameInfo | null): NameLevel {
  if (!a || !b || a.joined.length === 0 || b.joined.length === 0) return 'missing';
  if (a.joined === b.joined) return 'exact';
  if (a.phonJoined === b.phonJoined) return 'phonetic';
  const jw = jaroWinkler(a.phonJoined, b.phonJoined);
  // Cheap exit (most candidate pairs): unlike strings that share no part and no initial.
  if (jw < 0.75 && !sharesPart(a.phon, b.phon)) return 'different';
  const shortName = a.phon.length <= b.phon.length ? a : b;
  const short = shortName.phon;
  const long = shortName === a ? b.phon : a.phon;
  let allFound = true;
  let distinctiveFound = false;
  let initials = 0;
  for (let i = 0; i < short.length; i++) {
    const t = short[i] as string;
    const f = tokenFound(t, long);
    if (f === null) {
      allFound = false;
      break;
    }
    if (f === 'initial') initials++;
    // Common parts are listed as written (muhammad, ahmad, dewi), not by their phonetic keys.
    else if (!COMMON_NAME_PARTS.has(shortName.tokens[i] as string) && t.length > 2) distinctiveFound = true;
  }
  if (allFound) {
    if (short.length === long.length && initials === 0) return 'close';
    // "Siti A." against "Siti Aminah": a shared part plus an initial for the rest.
    if (distinctiveFound || (initials > 0 && initials < short.length)) return 'partial';
  }
  // Joined/split differently with a typo: "Nurhayati" / "Nur Hayatie".
  if (jw >= 0.96 && Math.abs(a.phonJoined.length - b.phonJoined.length) <= 2 && a.phon.length !== b.phon.length) {
    return 'close';
  }
  if (a.phon.length === b.phon.length && oneTypo(a.phon, b.phon)) return 'typo';
  if (jw >= 0.85) return 'similar';
  return onePartReplaced(a, b) ? 'one_part' : 'different';
}

/**
 * Same parts in order but one, which is another name altogether, and a distinctive part kept:
 * "Callum Mahon" / "Tarau Mahon". Siblings and twins in a family named so, and so does a register
 * that replaced a given name or a surname: the weight is learned from the data (the hand value
 * is barely above 'different'), and the guards treat it as another name.
 */
function onePartReplaced(a: NameInfo, b: NameInfo): boolean {
  const n = a.phon.length;
  if (n < 2 || n !== b.phon.length || a.tokens.length !== n) return false;
  let off = 0;
  let kept = false;
  for (let i = 0; i < n; i++) {
    if (a.phon[i] !== b.phon[i]) {
      if (++off > 1) return false;
    } else if ((a.phon[i] as string).length > 2 && !COMMON_NAME_PARTS.has(a.tokens[i] as string)) kept = true;
  }
  return off === 1 && kept;
}

/**
 * The same number of parts, at least one distinctive part (not Muhammad, Siti, Ni Made ...) the
 * same in both, and every other part the same, close, or an initial of its counterpart:
 * "Sukamto B." / "Sukamto Budiono". Parents do not give twins the same distinctive name with the
 * same initials, so within a family this is one person written short. Only for the guards.
 */
export function sameGivenNameWithInitials(a: NameInfo, b: NameInfo): boolean {
  if (a.phon.length !== b.phon.length || a.phon.length < 2) return false;
  let distinctive = false;
  let initials = 0;
  for (let i = 0; i < a.phon.length; i++) {
    const x = a.phon[i] as string;
    const y = b.phon[i] as string;
    if (x.length === 1 || y.length === 1) {
      if (!sameInitial(x.charCodeAt(0), y.charCodeAt(0))) return false;
      initials++;
    } else if (x === y) {
      if (!COMMON_NAME_PARTS.has(a.tokens[i] as string) && x.length > 2) distinctive = true;
    } else if (jaroWinkler(x, y) < TOKEN_CLOSE) {
      return false;
    }
  }
  return distinctive && initials > 0;
}

/**
 * One name is the other with its last parts left off, and what is left says something (not
 * Muhammad, Siti, I Made alone): "Painem" / "Painem Rahayu", "Fadil Syahputra" / "Fadil Syahputra
 * Maulana". Registers cut names short; parents do not give a twin or a sibling the other's name
 * with a part added. Only for the guards.
 */
export function namesDifferByDroppedParts(a: NameInfo, b: NameInfo): boolean {
  const [short, long] = a.phon.length <= b.phon.length ? [a, b] : [b, a];
  if (short.phon.length === 0 || short.phon.length === long.phon.length) return false;
  let distinctive = false;
  for (let i = 0; i < short.phon.length; i++) {
    const x = short.phon[i] as string;
    if (x !== long.phon[i]) return false;
    if (x.length > 2 && !COMMON_NAME_PARTS.has(short.tokens[i] as string)) distinctive = true;
  }
  return distinctive;
}

/**
 * Whether two names that compare as different still look like one name written badly: the same
 * first letter, or a shared part or initial ("Hj. owi" / "Dwi" no, "Tri Sutanto" / "Tri" yes).
 * Two unrelated people's names mostly share neither. Only asked of pairs whose NIKs agree.
 */
export function namesRelated(a: NameInfo, b: NameInfo): boolean {
  if (a.phonJoined.length === 0 || b.phonJoined.length === 0) return false;
  return sameInitial(a.phonJoined.charCodeAt(0), b.phonJoined.charCodeAt(0)) || sharesPart(a.phon, b.phon);
}

/**
 * Names of two or more parts, written the same but for one part where a letter inside it went
 * missing (or was added) or two letters traded places: "Fathur Sykur Maulana", "Rdiho Wijaya".
 * Parents give twins names that differ by a letter changed (Rina / Rini, Putra / Putri) or at the
 * end (Dian / Diana), not by a clerk's slip; a transposition in the first part (Dian / Dina) may
 * be a twin too. Only for the guards.
 */
export function namesDifferBySlip(a: NameInfo, b: NameInfo): boolean {
  const x = a.tokens;
  const y = b.tokens;
  if (x.length !== y.length || x.length < 2) return false;
  let at = -1;
  for (let i = 0; i < x.length; i++) {
    if (x[i] === y[i]) continue;
    if (at >= 0) return false;
    at = i;
  }
  if (at < 0) return false;
  const s = x[at] as string;
  const t = y[at] as string;
  if (s.length === t.length) return at > 0 && adjacentSwap(s, t);
  const [long, short] = s.length > t.length ? [s, t] : [t, s];
  if (long.length !== short.length + 1) return false;
  let i = 0;
  while (i < short.length && long.charCodeAt(i) === short.charCodeAt(i)) i++;
  // The letter dropped is inside the part, not its first or last.
  return i > 0 && i < long.length - 1 && long.slice(i + 1) === short.slice(i);
}

function adjacentSwap(s: string, t: string): boolean {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === t.charCodeAt(i)) i++;
  return i + 1 < s.length && s[i] === t[i + 1] && s[i + 1] === t[i] && s.slice(i + 2) === t.slice(i + 2);
}

/** Whether two names share a phonetic part or the first letter of a one-letter part. */
function sharesPart(a: string[], b: string[]): boolean {
  for (const x of a) {
    for (const y of b) {
      if (x === y) return true;
      if ((x.length === 1 || y.length === 1) && sameInitial(x.charCodeAt(0), y.charCodeAt(0))) return true;
    }
  }
  return false;
}

/** Same parts in order except one, which is within typo distance. */
function oneTypo(a: string[], b: string[]): boolean {
  let off = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) continue;
    if (++off > 1 || x.length < 3 || y.length < 3 || jaroWinkler(x, y) < TOKEN_TYPO) return false;
  }
  return off === 1;
}

export type MotherLevel = 'agree' | 'similar' | 'different' | 'missing';

export function compareMothers(a: NameInfo | null, b: NameInfo | null): MotherLevel {
  const l = compareNames(a, b);
  if (l === 'missing') return 'missing';
  if (l === 'exact' || l === 'phonetic' || l === 'close') return 'agree';
  if (l === 'partial' || l === 'typo' || l === 'similar') return 'similar';
  return 'different';
}

export interface Comparison {
  nik: NikLevel;
  name: NameLevel;
  birthDate: DateLevel;
  sex: 'agree' | 'disagree' | 'missing';
  motherName: MotherLevel;
  kk: 'same' | 'different' | 'missing';
  village: 'same' | 'different' | 'missing';
  birthPlace: 'agree' | 'different' | 'missing';
  address: 'similar' | 'close' | 'different' | 'missing';
  locality: 'agree' | 'different' | 'missing';
  postcode: 'same' | 'different' | 'missing';
  religion: 'agree' | 'different' | 'missing';
  occupation: 'agree' | 'different' | 'missing';
}

export const FIELDS: readonly FieldName[] = [
  'nik', 'name', 'birthDate', 'sex', 'motherName', 'kk', 'village', 'birthPlace', 'address', 'locality', 'postcode', 'religion',
  'occupation',
];

function eq(a: string | null, b: string | null): 'agree' | 'different' | 'missing' {
  if (a === null || b === null) return 'missing';
  return a === b ? 'agree' : 'different';
}

/**
 * Addresses written differently but with the same numbers (house, RT, RW) in the same order: the
 * words a typo apart, run together, or one a part of the other ("Dusun II RT 3" / "Dsn II RT 3
 * Karta"). A number that differs is a neighbour's house or RT, not a slip.
 */
function addressesClose(a: AddressParts | null, b: AddressParts | null): boolean {
  if (!a || !b || a.numbers !== b.numbers || a.letters.length === 0 || b.letters.length === 0) return false;
  const [s, l] = a.letters.length <= b.letters.length ? [a.letters, b.letters] : [b.letters, a.letters];
  if (s.length >= 4 && l.includes(s)) return true;
  return jaroWinkler(a.letters, b.letters) >= 0.9;
}

function compareBirthPlaces(a: string | null, b: string | null): Comparison['birthPlace'] {
  if (!a || !b) return 'missing';
  return a === b || (a.charCodeAt(0) === b.charCodeAt(0) && jaroWinkler(a, b) >= 0.9) ? 'agree' : 'different';
}

/**
 * The fields compared by equality only (no string similarity): name, mothers' names and birth
 * places are left 'missing' for the caller, which may find the pair out of reach without them.
 */
export function compareExact(a: PreparedRecord, b: PreparedRecord): Comparison {
  let nik: NikLevel = 'missing';
  if (a.nik?.digits && b.nik?.digits) nik = compareNikDigits(a.nik.digits, b.nik.digits);
  return {
    nik,
    name: 'missing',
    birthDate: compareDates(a.birth, b.birth),
    sex: a.sex && b.sex ? (a.sex === b.sex ? 'agree' : 'disagree') : 'missing',
    motherName: 'missing',
    kk: a.kk && b.kk ? (a.kk === b.kk ? 'same' : 'different') : 'missing',
    village: a.village && b.village ? (a.village === b.village ? 'same' : 'different') : 'missing',
    birthPlace: 'missing',
    // Refined to 'close' by compareFuzzy.
    address: a.address && b.address ? (a.address === b.address ? 'similar' : 'different') : 'missing',
    locality: 'missing',
    postcode: a.postcode && b.postcode ? (a.postcode === b.postcode ? 'same' : 'different') : 'missing',
    religion: eq(a.religion, b.religion),
    occupation: eq(a.occupation, b.occupation),
  };
}

/** The fields compareExact leaves out but the mothers' names. */
export function compareFuzzy(a: PreparedRecord, b: PreparedRecord, cmp: Comparison): void {
  cmp.birthPlace = compareBirthPlaces(a.birthPlace, b.birthPlace);
  cmp.locality = a.locality && b.locality ? (compareBirthPlaces(a.locality, b.locality) === 'agree' ? 'agree' : 'different') : 'missing';
  if (cmp.address === 'different' && addressesClose(a.addressParts, b.addressParts)) cmp.address = 'close';
  cmp.name = compareNames(a.name, b.name);
}

/** With `withMother` false the mothers' names are left 'missing' for the caller to compare later. */
export function compareRecords(a: PreparedRecord, b: PreparedRecord, withMother = true): Comparison {
  const cmp = compareExact(a, b);
  compareFuzzy(a, b, cmp);
  if (withMother) cmp.motherName = compareMothers(a.mother, b.mother);
  return cmp;
}
