/**
 * Survivorship: the citizen's own fields (the golden record) computed from every source record linked
 * to them. Pure; the source records themselves are never changed or dropped.
 */
import { isPlainName, nameParts, nikConsistency, parseKk, parseNik } from '../identity/index.js';
import type { Person } from '../stages/identify.js';

/** One source record as survivorship sees it: a registration's applicant or a resident record. */
export interface SourcePerson extends Person {
  /** When the hub last heard this record from its source: the more recent record wins addresses. */
  seenAt: string | Date | null;
}

export type GoldenField = keyof Person;

export interface GoldenRecord extends Person {
  /** Index (in the input) of the record each field was taken from; absent when no record had it. */
  from: Partial<Record<GoldenField, number>>;
}

interface Candidate { index: number; record: SourcePerson; time: number }

const timeOf = (v: string | Date | null): number => {
  if (v === null) return -Infinity;
  const t = (v instanceof Date ? v : new Date(v)).getTime();
  return Number.isNaN(t) ? -Infinity : t;
};

/** Orders most recent first; among equal times, the record given later counts as more recent. */
const byRecency = (a: Candidate, b: Candidate) => b.time - a.time || b.index - a.index;

const sameTokens = (a: ReturnType<typeof nameParts>, b: ReturnType<typeof nameParts>) =>
  a.patronym === b.patronym && a.tokens.length === b.tokens.length && a.tokens.every((t, i) => t === b.tokens[i]);

/**
 * The name as written, without leading titles ("H.", "Hj.", "Drs.") and trailing degrees ("S.Pd.").
 * A word is dropped only when the identity engine's canonical form of the name stays the same without
 * it, so what counts as a title is decided in one place (names.ts) and the kept words keep their casing.
 */
export function stripTitles(raw: string): string {
  return stripTitlesOf(raw, null);
}

/** Words of a plain name (letters and single spaces). */
function wordCount(plain: string): number {
  let n = 1;
  for (let i = 0; i < plain.length; i++) if (plain.charCodeAt(i) === 32) n++;
  return n;
}

/** Tokens plus patronym words. */
function partCount(p: ReturnType<typeof nameParts>): number {
  return p.tokens.length + (p.patronym ? p.patronym.split(' ').length : 0);
}

/** stripTitles, given nameParts(raw) when the caller has it (the canonical form when raw is written plainly). */
function stripTitlesOf(raw: string, partsOfRaw: ReturnType<typeof nameParts> | null): string {
  // The common case without splitting: letters and single spaces, a part per word.
  if (partsOfRaw !== null && isPlainName(raw) && partCount(partsOfRaw) === wordCount(raw)) return raw;
  const words = raw.trim().split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return raw.trim();
  // One word is kept whatever it is: no canonical form to compare with.
  if (words.length === 1) return (words[0] as string).replace(/[\s,;]+$/, '');
  const joined = words.join(' ');
  const canonical = partsOfRaw !== null && joined === raw ? partsOfRaw : nameParts(joined);
  // A plain name whose every word is a part of its canonical form (most names) keeps all its words:
  // fewer plain words never make as many parts, so no shorter form has the same canonical form.
  if (joined === raw && isPlainName(raw) && partCount(canonical) === words.length) return raw;
  while (words.length > 1 && sameTokens(nameParts(words.slice(1).join(' ')), canonical)) words.shift();
  while (words.length > 1 && sameTokens(nameParts(words.slice(0, -1).join(' ')), canonical)) words.pop();
  return words.join(' ').replace(/[\s,;]+$/, '');
}

/** Fuller first: more name parts, then more letters in them, then the longer written form, then the more recent. */
function fullest(cands: Candidate[], value: (r: SourcePerson) => string | null): { index: number; text: string } | null {
  let best: { c: Candidate; parts: number; letters: number; text: string } | null = null;
  for (const c of cands) {
    const raw = value(c.record);
    if (!raw || !raw.trim()) continue;
    // The father's name after bin/binti is part of how the person is written in full.
    const parts = nameParts(raw);
    const { tokens, patronym } = parts;
    const all = patronym ? [...tokens, ...patronym.split(' ')] : tokens;
    const text = stripTitlesOf(raw, parts);
    const cur = { c, parts: all.length, letters: all.join('').length, text };
    if (!best) { best = cur; continue; }
    const diff = cur.parts - best.parts || cur.letters - best.letters || cur.text.length - best.text.length || -byRecency(cur.c, best.c);
    if (diff > 0) best = cur;
  }
  return best ? { index: best.c.index, text: best.text } : null;
}

/** The value held by most records (compared by `key`); ties go to the most recent record. */
function mostFrequent<T>(cands: Candidate[], value: (r: SourcePerson) => T | null, key: (v: T) => string = String): { index: number; value: T } | null {
  const groups = new Map<string, { count: number; latest: Candidate; value: T }>();
  for (const c of [...cands].sort(byRecency)) {
    const v = value(c.record);
    if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) continue;
    const k = key(v);
    const g = groups.get(k);
    if (g) g.count += 1;
    else groups.set(k, { count: 1, latest: c, value: v });
  }
  let best: { count: number; latest: Candidate; value: T } | null = null;
  for (const g of groups.values()) {
    if (!best || g.count > best.count || (g.count === best.count && byRecency(g.latest, best.latest) < 0)) best = g;
  }
  return best ? { index: best.latest.index, value: best.value } : null;
}

function birthParts(date: string | null): { y: number; m: number; d: number } | null {
  const m = date ? /^(\d{4})-(\d{2})-(\d{2})/.exec(date) : null;
  return m ? { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) } : null;
}

/**
 * How much a record's NIK is to be trusted: valid and consistent with the record's own birth date (4),
 * valid without a date to check (3), valid but disagreeing with the date (2), an OpenSID temporary
 * number (1), nothing usable (0).
 */
function nikRank(r: SourcePerson): { rank: number; digits: string | null } {
  const info = parseNik(r.nik);
  if (info.temporary) return { rank: 1, digits: info.digits };
  if (!info.valid) return { rank: 0, digits: null };
  const { dateMatches } = nikConsistency(info, birthParts(r.birthDate), r.sex);
  return { rank: dateMatches === true ? 4 : dateMatches === null ? 3 : 2, digits: info.digits };
}

/**
 * Survivorship rules: a valid NIK consistent with the birth date wins (several: the most frequent, then
 * the most recent); sex and birth date come from the record whose NIK won, else the most frequent; the
 * most recent address with its village; the fullest name without titles. Null when there is no record.
 */
export function goldenRecord(records: readonly SourcePerson[]): GoldenRecord | null {
  if (records.length === 0) return null;
  if (records.length === 1) return goldenRecordOfOne(records[0]!);
  return survivorship(records);
}

/** What a blank value is to the rules: absent (no record holds it). */
const blank = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/**
 * The same rules for a citizen of one source record (every new citizen of a batch, most of a first
 * load): each field is the record's own when it holds one, so no candidate lists, sorts or tallies.
 * Survivorship of single records was 18% of the hub's identify time in bench:sync --identify.
 * survivorship() gives the same result; a test holds the two together.
 */
export function goldenRecordOfOne(record: SourcePerson): GoldenRecord {
  const from: GoldenRecord['from'] = {};
  const nikInfo = parseNik(record.nik);
  const nik = (nikInfo.valid || nikInfo.temporary) && !blank(nikInfo.digits) ? nikInfo.digits : null;
  if (nik !== null) from.nik = 0;
  // The owner of a valid NIK (not a temporary number) gives a value even when it is blank to the eye.
  const trusted = nik !== null && !nikInfo.temporary;
  const sex = ownValue(record.sex, trusted);
  if (sex !== null) from.sex = 0;
  const birthDate = ownValue(record.birthDate, trusted);
  if (birthDate !== null) from.birthDate = 0;
  const fullName = nameText(record.fullName);
  if (fullName !== null) from.fullName = 0;
  const motherName = nameText(record.motherName);
  if (motherName !== null) from.motherName = 0;
  const place = record.birthPlace?.trim();
  const birthPlace = place ? place : null;
  if (birthPlace !== null) from.birthPlace = 0;
  const street = record.address?.trim();
  const address = street ? street : null;
  if (address !== null) from.address = 0;
  from.villageCode = 0;
  const kkInfo = parseKk(record.kk);
  const hasKk = kkInfo.valid || (!!kkInfo.digits && !kkInfo.empty);
  if (hasKk) from.kk = 0;
  return {
    nik, kk: hasKk ? kkInfo.digits : null, fullName: fullName ?? record.fullName, sex, birthDate, birthPlace, motherName, address, villageCode: record.villageCode, from,
  };
}

// Module-level rather than closures: no function object per record on the hot path.
function ownValue<T>(v: T | null | undefined, trusted: boolean): T | null {
  return v === null || v === undefined || v === '' || (!trusted && blank(v)) ? null : v;
}

function nameText(raw: string | null | undefined): string | null {
  return raw && raw.trim() ? stripTitlesOf(raw, nameParts(raw)) : null;
}

/** The rules over several records (goldenRecord's general case). */
export function survivorship(records: readonly SourcePerson[]): GoldenRecord {
  const cands: Candidate[] = records.map((record, index) => ({ index, record, time: timeOf(record.seenAt) }));
  const recent = [...cands].sort(byRecency);
  const from: GoldenRecord['from'] = {};

  const ranked = cands.map((c) => ({ c, ...nikRank(c.record) }));
  const topRank = Math.max(...ranked.map((r) => r.rank));
  let nik: string | null = null;
  let nikOwner: Candidate | null = null;
  if (topRank > 0) {
    const top = ranked.filter((r) => r.rank === topRank);
    // Each record's NIK parsed once (nikRank above).
    const digitsOf = new Map(top.map((r) => [r.c.record, r.digits]));
    const chosen = mostFrequent(top.map((r) => r.c), (p) => digitsOf.get(p) ?? null);
    if (chosen) {
      nik = chosen.value;
      nikOwner = cands[chosen.index] ?? null;
      from.nik = chosen.index;
    }
  }
  // A temporary number says nothing about birth date or sex.
  const trustOwner = nikOwner && topRank >= 2 ? nikOwner : null;

  const pick = <T>(field: GoldenField, value: (r: SourcePerson) => T | null, key?: (v: T) => string): T | null => {
    const own = trustOwner ? value(trustOwner.record) : null;
    if (trustOwner && own !== null && own !== undefined && own !== '') {
      from[field] = trustOwner.index;
      return own;
    }
    const m = mostFrequent(cands, value, key);
    if (m) from[field] = m.index;
    return m ? m.value : null;
  };
  const sex = pick<'M' | 'F'>('sex', (r) => r.sex);
  const birthDate = pick<string>('birthDate', (r) => r.birthDate);

  const name = fullest(cands, (r) => r.fullName);
  if (name) from.fullName = name.index;
  const mother = fullest(cands, (r) => r.motherName);
  if (mother) from.motherName = mother.index;

  const birthPlace = mostFrequent(cands, (r) => r.birthPlace?.trim() ?? null, (v) => v.toLowerCase().replace(/\s+/g, ' '));
  if (birthPlace) from.birthPlace = birthPlace.index;

  // Address and village travel together, so the golden record never pairs a street with another village.
  const withAddress = recent.find((c) => c.record.address && c.record.address.trim());
  const home = withAddress ?? recent.find((c) => c.record.villageCode) ?? recent[0]!;
  if (withAddress) from.address = withAddress.index;
  from.villageCode = home.index;

  // A KK changes when a family moves or splits: the most recent valid one.
  const kkInfo = new Map<Candidate, ReturnType<typeof parseKk>>();
  const kkOf = (c: Candidate) => {
    let info = kkInfo.get(c);
    if (info === undefined) kkInfo.set(c, (info = parseKk(c.record.kk)));
    return info;
  };
  const kkRecord = recent.find((c) => kkOf(c).valid) ?? recent.find((c) => kkOf(c).digits && !kkOf(c).empty);
  if (kkRecord) from.kk = kkRecord.index;

  return {
    nik,
    kk: kkRecord ? kkOf(kkRecord).digits : null,
    fullName: name?.text ?? recent[0]!.record.fullName,
    sex,
    birthDate,
    birthPlace: birthPlace?.value ?? null,
    motherName: mother?.text ?? null,
    address: withAddress?.record.address?.trim() ?? null,
    villageCode: home.record.villageCode,
    from,
  };
}
