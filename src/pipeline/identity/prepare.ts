/** Normalizes a record once, so that comparing it with many candidates costs no string work. */
import { parseDate, type YMD } from './dates.js';
import { nameInfo, type NameInfo } from './names.js';
import { kkDigits, nikConsistency, parseNik, type NikInfo } from './nik.js';
import type { PersonRecord } from './types.js';

/**
 * What the comparison needs of a NIK. The full NikInfo (a dozen fields, two arrays, four strings)
 * is three quarters of a prepared record; an index holds one per citizen.
 */
export type PreparedNik = Pick<NikInfo, 'valid' | 'digits'>;

export interface PreparedRecord {
  rec: PersonRecord;
  name: NameInfo;
  /** Parsed NIK when it is a real (non-temporary, non-empty) 16-digit number, valid or not. */
  nik: PreparedNik | null;
  /** The NIK is valid and agrees with the record's own birth date and sex (where known). */
  nikSelfConsistent: boolean;
  kk: string | null;
  birth: YMD | null;
  /** Birth date, or the one the NIK carries when the record has none (for guards only). */
  birthForGuards: YMD | null;
  sex: 'M' | 'F' | null;
  mother: NameInfo | null;
  village: string | null;
  birthPlace: string | null;
  address: string | null;
  /** The address's numbers (house, RT, RW) and its letters apart, for the fuzzy comparison. */
  addressParts: AddressParts | null;
  locality: string | null;
  /** Digits only. */
  postcode: string | null;
  religion: string | null;
  occupation: string | null;
}

function clean(s: string | null | undefined): string | null {
  if (!s) return null;
  const t = s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
  return t.length > 0 ? t : null;
}

function cleanPlace(s: string | null | undefined): string | null {
  const t = clean(s);
  if (!t) return null;
  const r = t.replace(/^(kab|kabupaten|kota|kec|kecamatan|desa|tiyuh|kel|kelurahan)\s+/, '');
  return r.replace(/\s+/g, '');
}

/** "Dusun II RT 003 RW 001" and "dsn ii rt 3 rw 1" agree. */
function cleanAddress(s: string | null | undefined): string | null {
  const t = clean(s);
  if (!t) return null;
  return t
    .replace(/\b(dusun|dsn|dukuh)\b/g, 'dusun')
    .replace(/\b0+(\d)/g, '$1')
    .replace(/\s+/g, '');
}

export interface AddressParts {
  numbers: string;
  letters: string;
}

function splitAddress(a: string): AddressParts {
  return { numbers: (a.match(/\d+/g) ?? []).join(' '), letters: a.replace(/\d+/g, '') };
}

const RELIGIONS: Record<string, string> = {
  '1': 'islam', islam: 'islam', moslem: 'islam', muslim: 'islam',
  '2': 'kristen', kristen: 'kristen', protestan: 'kristen', kristenprotestan: 'kristen',
  '3': 'katolik', katolik: 'katolik', katholik: 'katolik', kristenkatolik: 'katolik',
  '4': 'hindu', hindu: 'hindu', '5': 'budha', budha: 'budha', buddha: 'budha',
  '6': 'khonghucu', khonghucu: 'khonghucu', konghucu: 'khonghucu', '7': 'kepercayaan',
};

function cleanReligion(s: string | null | undefined): string | null {
  const t = clean(s);
  if (!t) return null;
  const k = t.replace(/\s+/g, '');
  return RELIGIONS[k] ?? k;
}

/** Places, addresses and occupations repeat across records: clean each distinct value once. */
function memo(fn: (s: string | null | undefined) => string | null): (s: string | null | undefined) => string | null {
  const cache = new Map<string, string | null>();
  return (s) => {
    if (!s) return null;
    const hit = cache.get(s);
    if (hit !== undefined) return hit;
    const v = fn(s);
    if (cache.size >= 100_000) cache.clear();
    cache.set(s, v);
    return v;
  };
}

const placeOf = memo(cleanPlace);
const addressOf = memo(cleanAddress);
const textOf = memo(clean);
const partsCache = new Map<string, AddressParts>();
function addressPartsOf(a: string | null): AddressParts | null {
  if (a === null) return null;
  let v = partsCache.get(a);
  if (v === undefined) {
    v = splitAddress(a);
    if (partsCache.size >= 100_000) partsCache.clear();
    partsCache.set(a, v);
  }
  return v;
}
/** Localities compare like places (spaces and "dusun" dropped). */
const localityOf = memo((s) => {
  const t = cleanPlace(s);
  return t === null ? null : t.replace(/^(dusun|dsn|dukuh)/, '') || t;
});
const postcodeOf = memo((s) => {
  const d = (s as string).replace(/\D/g, '');
  return d.length >= 3 && d.length <= 10 ? d : null;
});
const religionOf = memo(cleanReligion);
/** The village code's 10 digits ("18.12.01.2002" -> "1812012002"), or null. */
const villageOf = memo((s) => {
  const d = (s as string).replace(/\D/g, '');
  return d.length === 10 ? d : null;
});

export function prepareRecord(rec: PersonRecord): PreparedRecord {
  const birth = parseDate(rec.birthDate);
  const sex = rec.sex === 'M' || rec.sex === 'F' ? rec.sex : null;
  const parsed = parseNik(rec.nik);
  const real = !parsed.empty && !parsed.temporary && parsed.digits !== null && parsed.digits.length === 16;
  let nikSelfConsistent = false;
  let birthForGuards = birth;
  if (real && parsed.valid) {
    const c = nikConsistency(parsed, birth, sex);
    nikSelfConsistent = c.dateMatches !== false && c.sexMatches !== false;
    if (!birthForGuards && parsed.birthDate) birthForGuards = parseDate(parsed.birthDate);
  }
  const kk = kkDigits(rec.kk);
  const mother = rec.motherName ? nameInfo(rec.motherName) : null;
  const address = addressOf(rec.address);
  return {
    rec,
    name: nameInfo(rec.fullName),
    nik: real ? { valid: parsed.valid, digits: parsed.digits } : null,
    nikSelfConsistent,
    kk,
    birth,
    birthForGuards,
    sex,
    mother: mother && mother.tokens.length > 0 ? mother : null,
    village: villageOf(rec.villageCode),
    birthPlace: placeOf(rec.birthPlace),
    address,
    addressParts: addressPartsOf(address),
    locality: localityOf(rec.locality),
    postcode: postcodeOf(rec.postcode),
    religion: religionOf(rec.religion),
    occupation: textOf(rec.occupation),
  };
}
