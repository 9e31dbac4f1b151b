import type { HubConfig } from '../../config/load.js';
import { regionDigits } from '../../config/regionCode.js';
import { checkKk, checkNik } from './nik.js';
import { recordError, type RecordError } from './recordError.js';
import { cleanText } from './registration.js';

/** A population record as a village system sends it, before validation (codes as OpenSID numbers them). */
export interface ResidentInput {
  localId: string | number;
  villageCode: string;
  nik?: unknown; kk?: unknown; fullName?: unknown; sex?: unknown; birthDate?: unknown; birthPlace?: unknown;
  religion?: unknown; maritalStatus?: unknown; familyRole?: unknown; education?: unknown; occupation?: unknown;
  citizenship?: unknown; fatherName?: unknown; motherName?: unknown; address?: unknown; dusun?: unknown;
  rt?: unknown; rw?: unknown; statusDasar?: unknown; sourceUpdatedAt?: unknown;
  extra?: Record<string, unknown>;
}

/** The same record, checked and normalized: what resident_records stores. */
export interface Resident {
  localId: string;
  villageCode: string;
  nik: string | null; temporaryNik: string | null; kk: string | null; fullName: string; sex: 'M' | 'F' | null; birthDate: string | null;
  birthPlace: string | null; motherName: string | null; fatherName: string | null; address: string | null;
  dusun: string | null; rt: string | null; rw: string | null;
  religion: number | null; maritalStatus: number | null; familyRole: number | null; occupation: number | null;
  education: number | null; citizenship: number | null;
  statusDasar: number; state: ResidentState;
  sourceUpdatedAt: string | null;
  extra: Record<string, unknown> | null;
  /** What validation flagged without refusing the record; stored beside it, not part of its content. */
  warnings?: RecordError[] | null;
}

export type ResidentState = 'active' | 'dead' | 'moved' | 'missing' | 'gone' | 'invalid';

/** OpenSID status_dasar (tweb_status_dasar); there is no 5. */
export const STATUS_DASAR: Record<number, ResidentState> = { 1: 'active', 2: 'dead', 3: 'moved', 4: 'missing', 6: 'gone', 9: 'invalid' };

/** OpenSID code ranges (opensid.md §3). */
const CODE_RANGES: Record<string, [number, number]> = {
  religion: [1, 7], maritalStatus: [1, 4], familyRole: [1, 11], education: [1, 10], occupation: [1, 89], citizenship: [1, 3],
};

export type ResidentCheck =
  | { ok: true; value: Resident; warnings: RecordError[] }
  | { ok: false; errors: RecordError[]; localId: string; villageCode: string | null };

const CSV_QUOTED = /^"((?:[^"]|"")*)"$/;

/**
 * OpenSID hands some values on still CSV-quoted: `"SITI ""ICAH"" AISYAH"` is the name SITI "ICAH" AISYAH.
 * Only a value wholly wrapped in quotes with every inner quote doubled is read that way.
 */
export function unquoteCsv(s: string): string {
  if (s.length < 2 || s[0] !== '"') return s;
  const m = CSV_QUOTED.exec(s);
  return m ? m[1]!.replace(/""/g, '"') : s;
}

function text(v: unknown, field: string, max: number, errors: RecordError[]): string | null {
  if (v == null) return null;
  if (typeof v !== 'string' && typeof v !== 'number') { errors.push(recordError('FIELD_TYPE', field, 'string')); return null; }
  const s = cleanText(unquoteCsv(cleanText(String(v))));
  // OpenSID writes '-' for an empty dusun/rt/rw.
  if (s === '' || s === '-') return null;
  if (s.length > max) { errors.push(recordError('FIELD_TOO_LONG', field, String(max))); return null; }
  return s;
}

/** A code arrives as 2, "2", or (Gabungan API) {id: 2, nama: "KAWIN"}. */
function code(v: unknown, field: string, errors: RecordError[], allowed?: (n: number) => boolean): number | null {
  if (v && typeof v === 'object' && 'id' in v) v = (v as { id: unknown }).id;
  if (v == null || v === '') return null;
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(String(v)) ? Number(v) : NaN;
  const [lo, hi] = CODE_RANGES[field] ?? [0, Infinity];
  if (!Number.isInteger(n) || (allowed ? !allowed(n) : n < lo || n > hi)) {
    errors.push(recordError('CODE_UNKNOWN', field, typeof v === 'object' ? JSON.stringify(v) : String(v)));
    return null;
  }
  return n;
}

const SEX: Record<string, 'M' | 'F'> = {
  1: 'M', L: 'M', M: 'M', 'LAKI-LAKI': 'M', 'LAKI LAKI': 'M', PRIA: 'M',
  2: 'F', P: 'F', F: 'F', W: 'F', PEREMPUAN: 'F', WANITA: 'F',
};

function sexOf(v: unknown, errors: RecordError[]): 'M' | 'F' | null {
  if (v && typeof v === 'object' && 'id' in v) v = (v as { id: unknown }).id;
  if (v == null || v === '') return null;
  const s = SEX[String(v).trim().toUpperCase()];
  if (!s) errors.push(recordError('CODE_UNKNOWN', 'sex', String(v)));
  return s ?? null;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** y-m-d as numbers, or null when no such day exists (no Date object: this runs for every record). */
function isoDay(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1) return null;
  const leap = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > DAYS_IN_MONTH[m - 1]! + (leap ? 1 : 0)) return null;
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

const YMD = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$/;
const DMY = /^(\d{1,2})[-/](\d{1,2})[-/](\d{4})(?:[ T].*)?$/;

/** Dates arrive `Y-m-d` (OpenSID export) or `d-m-Y` (Gabungan API); MySQL's zero date means unknown. */
export function parseDay(v: unknown): string | null | undefined {
  if (v == null || v === '') return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString().slice(0, 10);
  const s = String(v).trim();
  let m = YMD.exec(s);
  if (m) {
    if (m[1] === '0000' && Number(m[2]) === 0 && Number(m[3]) === 0) return null;
    return isoDay(Number(m[1]), Number(m[2]), Number(m[3])) ?? undefined;
  }
  if ((m = DMY.exec(s))) {
    if (m[3] === '0000' && Number(m[2]) === 0 && Number(m[1]) === 0) return null;
    return isoDay(Number(m[3]), Number(m[2]), Number(m[1])) ?? undefined;
  }
  return undefined;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
let lastStamp: [string, string | null] = ['', null];

/** A source's updated_at: local Jakarta time (UTC+7) unless it names its zone. */
export function timestampOf(v: unknown): string | null {
  if (v == null || v === '') return null;
  const s = String(v).trim();
  // Whole pages often share one updated_at (a bulk import); the last answer is kept.
  if (s === lastStamp[0]) return lastStamp[1];
  let out: string | null = null;
  const m = LOCAL_TIME.exec(s);
  if (m) {
    const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]) - 7, Number(m[5]), Number(m[6] ?? 0));
    out = isoDay(Number(m[1]), Number(m[2]), Number(m[3])) && Number(m[4]) < 24 && Number(m[5]) < 60 ? new Date(t).toISOString() : null;
  } else {
    const day = parseDay(s);
    const t = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(s) ? new Date(s.replace(' ', 'T') + (/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? '' : '+07:00')) : day ? new Date(`${day}T00:00:00+07:00`) : null;
    out = t && !Number.isNaN(t.getTime()) ? t.toISOString() : null;
  }
  lastStamp = [s, out];
  return out;
}

/**
 * Checks one resident record: village in scope, name, NIK/KK structure, dates, OpenSID codes. A NIK
 * that disagrees with birth date or sex is a warning (the NIK is permanent; the record may be wrong).
 */
export function checkResident(input: ResidentInput, config: HubConfig, allowedVillages: Set<string> | null, today = new Date().toISOString().slice(0, 10)): ResidentCheck {
  const errors: RecordError[] = [];
  const localId = input.localId == null ? '' : cleanText(String(input.localId));
  if (!localId) errors.push(recordError('FIELD_REQUIRED', 'localId'));
  else if (localId.length > 40) errors.push(recordError('FIELD_TOO_LONG', 'localId', '40'));

  const rawVillage = input.villageCode == null ? '' : String(input.villageCode);
  const village = regionDigits(rawVillage);
  let villageCode: string | null = null;
  if (!rawVillage) errors.push(recordError('FIELD_REQUIRED', 'villageCode'));
  else if (!village || village.length !== 10) errors.push(recordError('VILLAGE_CODE_INVALID', 'villageCode', rawVillage));
  else if (!config.villages.has(village)) errors.push(recordError('VILLAGE_CODE_UNKNOWN', 'villageCode', rawVillage));
  else if (allowedVillages && !allowedVillages.has(village)) errors.push(recordError('VILLAGE_OUT_OF_SCOPE', 'villageCode', rawVillage));
  else villageCode = village;

  const fullName = text(input.fullName, 'fullName', 100, errors);
  if (!fullName && !errors.some((e) => e.field === 'fullName')) errors.push(recordError('FIELD_REQUIRED', 'fullName'));
  const sex = sexOf(input.sex, errors);
  const birthDate = parseDay(input.birthDate);
  if (birthDate === undefined) errors.push(recordError('DATE_INVALID', 'birthDate', String(input.birthDate)));
  else if (birthDate && birthDate > today) errors.push(recordError('DATE_IN_FUTURE', 'birthDate'));
  else if (birthDate && birthDate < '1880-01-01') errors.push(recordError('DATE_INVALID', 'birthDate', birthDate));
  const nikRaw = input.nik == null ? null : String(input.nik);
  const nik = checkNik(nikRaw, 'nik', birthDate ?? null, sex);
  errors.push(...nik.errors);
  const kk = checkKk(input.kk == null ? null : String(input.kk), 'kk');
  errors.push(...kk.errors);
  const statusDasar = code(input.statusDasar, 'statusDasar', errors, (n) => n in STATUS_DASAR) ?? 1;

  const value: Resident = {
    localId,
    villageCode: villageCode ?? '',
    nik: nik.nik,
    temporaryNik: nik.temporaryNik,
    kk: kk.kk,
    fullName: fullName ?? '',
    sex,
    birthDate: birthDate ?? null,
    birthPlace: text(input.birthPlace, 'birthPlace', 100, errors),
    motherName: text(input.motherName, 'motherName', 100, errors),
    fatherName: text(input.fatherName, 'fatherName', 100, errors),
    address: text(input.address, 'address', 200, errors),
    dusun: text(input.dusun, 'dusun', 60, errors),
    rt: text(input.rt, 'rt', 10, errors),
    rw: text(input.rw, 'rw', 10, errors),
    religion: code(input.religion, 'religion', errors),
    maritalStatus: code(input.maritalStatus, 'maritalStatus', errors),
    familyRole: code(input.familyRole, 'familyRole', errors),
    occupation: code(input.occupation, 'occupation', errors),
    education: code(input.education, 'education', errors),
    citizenship: code(input.citizenship, 'citizenship', errors),
    statusDasar,
    state: STATUS_DASAR[statusDasar]!,
    sourceUpdatedAt: timestampOf(input.sourceUpdatedAt),
    extra: input.extra && Object.keys(input.extra).length ? input.extra : null,
  };
  if (errors.length) return { ok: false, errors, localId, villageCode };
  return { ok: true, value, warnings: nik.warnings };
}
