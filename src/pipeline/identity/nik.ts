/**
 * NIK (Nomor Induk Kependudukan) and No. KK. NIK: `PP KK CC DDMMYY SSSS`, women's day + 40, the
 * region is where the NIK was first issued. KK: region(6) + recording date DDMMYY (no +40) + serial(4).
 * OpenSID writes `0` + kode_desa(10) + 5-digit sequence when a resident has no NIK yet.
 */
import { isValidYmd } from './dates.js';

export interface NikInfo {
  /** A real 16-digit NIK with a valid region, date and serial. */
  valid: boolean;
  /** OpenSID temporary number ('0' + village code + sequence): means "no NIK yet". */
  temporary: boolean;
  /** Nothing usable: empty, '0', all zeros. */
  empty: boolean;
  digits: string | null;
  provinceCode: string | null;
  /** 6-digit kecamatan of first issue (PPKKCC). */
  regionCode: string | null;
  /** Village code of an OpenSID temporary NIK. */
  temporaryVillageCode: string | null;
  /** YYYY-MM-DD, the century chosen so the date is not in the future relative to referenceYear. */
  birthDate: string | null;
  day: number | null;
  month: number | null;
  /** Two-digit year as written. */
  yy: number | null;
  sex: 'M' | 'F' | null;
  serial: string | null;
  /** Why the value is not a valid NIK (stable codes). */
  errors: string[];
  /** Warnings that do not make the NIK invalid. */
  flags: string[];
}

/** Province codes in use (Kemendagri), so a typo in the first two digits is caught. */
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '16', '17', '18', '19', '21', '31', '32', '33', '34', '35', '36', '51', '52',
  '53', '61', '62', '63', '64', '65', '71', '72', '73', '74', '75', '76', '81', '82', '91', '92', '93', '94',
  '95', '96', '97',
]);

const HOME_REGION = '1812';

/** Kecamatan of 18.12 (config/regions.csv): a NIK issued here names one of them. */
const HOME_KECAMATAN = new Set(['01', '02', '03', '04', '05', '06', '07', '08', '09']);

/** Kabupaten/kota of Lampung (18): a NIK issued in Lampung must name one of them. */
const LAMPUNG_KABUPATEN = new Set(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13', '71', '72']);

function emptyInfo(digits: string | null): NikInfo {
  return {
    valid: false, temporary: false, empty: false, digits, provinceCode: null, regionCode: null,
    temporaryVillageCode: null, birthDate: null, day: null, month: null, yy: null, sex: null, serial: null,
    errors: [], flags: [],
  };
}

/** Parses a NIK. Separators (spaces, dots, dashes) are ignored. */
const SIXTEEN_DIGITS = /^\d{16}$/;

/** Drops the separators people type into numbers (spaces, dots, dashes). */
function digitsOf(input: string | null | undefined): string {
  if (!input) return '';
  return SIXTEEN_DIGITS.test(input) ? input : input.replace(/[\s.\-]/g, '');
}

export function parseNik(input: string | null | undefined, referenceYear = 2026): NikInfo {
  const raw = digitsOf(input);
  const info = emptyInfo(raw.length > 0 ? raw : null);
  if (raw.length === 0 || /^0+$/.test(raw)) {
    info.empty = true;
    info.flags.push('NIK_EMPTY');
    return info;
  }
  if (!/^\d+$/.test(raw)) {
    info.errors.push('NIK_NOT_DIGITS');
    return info;
  }
  if (raw.length !== 16) {
    info.errors.push('NIK_LENGTH');
    return info;
  }
  if (raw[0] === '0') {
    info.temporary = true;
    info.temporaryVillageCode = raw.slice(1, 11);
    info.serial = raw.slice(11);
    info.flags.push('NIK_TEMPORARY');
    return info;
  }
  info.provinceCode = raw.slice(0, 2);
  info.regionCode = raw.slice(0, 6);
  info.serial = raw.slice(12);
  if (!PROVINCES.has(info.provinceCode)) info.errors.push('NIK_INVALID_PROVINCE');
  const kab = Number(raw.slice(2, 4));
  if (
    raw.slice(2, 4) === '00' || raw.slice(4, 6) === '00' ||
    // Kabupaten are numbered 01-29 and kota 71-79 in every province.
    (kab > 29 && kab < 71) || kab > 79 ||
    (info.provinceCode === '18' && !LAMPUNG_KABUPATEN.has(raw.slice(2, 4))) ||
    (raw.startsWith(HOME_REGION) && !HOME_KECAMATAN.has(raw.slice(4, 6)))
  ) {
    info.errors.push('NIK_INVALID_REGION');
  }
  if (info.serial === '0000') info.errors.push('NIK_INVALID_SERIAL');
  let dd = Number(raw.slice(6, 8));
  const mm = Number(raw.slice(8, 10));
  const yy = Number(raw.slice(10, 12));
  let sex: 'M' | 'F' = 'M';
  if (dd > 40) {
    dd -= 40;
    sex = 'F';
  }
  const refYy = referenceYear % 100;
  const year = yy <= refYy ? 2000 + yy : 1900 + yy;
  // 29 February of a two-digit year: accept it if either century makes it real.
  const dateOk = isValidYmd(year, mm, dd) || (mm === 2 && dd === 29 && isValidYmd(year - 100, mm, dd));
  if (!dateOk) {
    info.errors.push('NIK_INVALID_DATE');
  } else {
    info.day = dd;
    info.month = mm;
    info.yy = yy;
    info.sex = sex;
    info.birthDate = `${year}-${String(mm).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
  }
  if (!raw.startsWith(HOME_REGION)) info.flags.push('NIK_REGION_OUTSIDE_1812');
  info.valid = info.errors.length === 0;
  return info;
}

export interface NikConsistency {
  /** null when the record has no birth date to check against. */
  dateMatches: boolean | null;
  sexMatches: boolean | null;
}

/** Checks a NIK's embedded date (day, month, two-digit year) and sex against the record's own fields. */
export function nikConsistency(
  nik: NikInfo,
  birth: { y: number; m: number; d: number } | null,
  sex: 'M' | 'F' | null | undefined,
): NikConsistency {
  const dateMatches =
    birth && nik.day !== null ? nik.day === birth.d && nik.month === birth.m && nik.yy === birth.y % 100 : null;
  const sexMatches = sex && nik.sex ? nik.sex === sex : null;
  return { dateMatches, sexMatches };
}

export type NikLevel = 'exact' | 'one_digit' | 'transposed' | 'different' | 'missing';

/** exact; one digit substituted; two adjacent digits exchanged; different. */
export function compareNikDigits(a: string, b: string): Exclude<NikLevel, 'missing'> {
  if (a === b) return 'exact';
  if (a.length !== b.length) return 'different';
  let first = -1;
  let diffs = 0;
  for (let i = 0; i < a.length; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      if (diffs === 0) first = i;
      diffs++;
      if (diffs > 2) return 'different';
    }
  }
  if (diffs === 1) return 'one_digit';
  if (a[first] === b[first + 1] && a[first + 1] === b[first]) return 'transposed';
  return 'different';
}

const POW10 = [10000000, 1000000, 100000, 10000, 1000, 100, 10, 1];

/**
 * compareNikDigits on two NIKs held as numbers of their first and last eight digits (no string
 * to read from memory): the digit at position i (0-15) is the (i % 8)th of its half.
 */
export function compareNikHalves(ah: number, al: number, bh: number, bl: number): Exclude<NikLevel, 'missing'> {
  if (ah === bh && al === bl) return 'exact';
  let first = -1;
  let diffs = 0;
  for (let i = 0; i < 16; i++) {
    const x = i < 8 ? ah : al;
    const y = i < 8 ? bh : bl;
    const p = POW10[i & 7] as number;
    if (((x / p) | 0) % 10 !== ((y / p) | 0) % 10) {
      if (diffs === 0) first = i;
      if (++diffs > 2) return 'different';
    }
  }
  if (diffs === 1) return 'one_digit';
  return nikDigitAt(ah, al, first) === nikDigitAt(bh, bl, first + 1) && nikDigitAt(ah, al, first + 1) === nikDigitAt(bh, bl, first)
    ? 'transposed'
    : 'different';
}

function nikDigitAt(h: number, l: number, i: number): number {
  return (((i < 8 ? h : l) / (POW10[i & 7] as number)) | 0) % 10;
}

/** The first or last eight digits of a 16-digit string as a number. */
export function nikHalf(digits: string, start: number): number {
  let v = 0;
  for (let i = start; i < start + 8; i++) v = v * 10 + (digits.charCodeAt(i) - 48);
  return v;
}

/**
 * The KK number as matching uses it: its digits when they are a 16-digit number other than zeros
 * (what parseKk reads without KK_FORMAT and does not call empty), else null. Without parseKk's object.
 */
export function kkDigits(input: string | null | undefined): string | null {
  const raw = digitsOf(input);
  if (raw.length !== 16) return null;
  let zeros = true;
  for (let i = 0; i < 16; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    if (c !== 48) zeros = false;
  }
  return zeros ? null : raw;
}

export interface KkInfo {
  valid: boolean;
  temporary: boolean;
  empty: boolean;
  digits: string | null;
  regionCode: string | null;
  /** DDMMYY as written (no +40 for KK). */
  recordedDate: string | null;
  serial: string | null;
  errors: string[];
}

export function parseKk(input: string | null | undefined): KkInfo {
  const raw = digitsOf(input);
  const info: KkInfo = {
    valid: false, temporary: false, empty: false, digits: raw.length > 0 ? raw : null, regionCode: null,
    recordedDate: null, serial: null, errors: [],
  };
  if (raw.length === 0 || /^0+$/.test(raw)) {
    info.empty = true;
    return info;
  }
  if (!/^\d{16}$/.test(raw)) {
    info.errors.push('KK_FORMAT');
    return info;
  }
  if (raw[0] === '0') {
    info.temporary = true;
    return info;
  }
  info.regionCode = raw.slice(0, 6);
  info.recordedDate = raw.slice(6, 12);
  info.serial = raw.slice(12);
  const dd = Number(raw.slice(6, 8));
  const mm = Number(raw.slice(8, 10));
  if (!(dd >= 1 && dd <= 31 && mm >= 1 && mm <= 12)) info.errors.push('KK_INVALID_DATE');
  info.valid = info.errors.length === 0;
  return info;
}
