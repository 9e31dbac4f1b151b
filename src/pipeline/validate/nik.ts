import type { RecordError } from './recordError.js';
import { recordError } from './recordError.js';
import { parseNik } from '../identity/nik.js';

export interface NikCheck {
  /** The NIK when it is a real one, null when absent or an OpenSID placeholder. */
  nik: string | null;
  temporary: boolean;
  /** The OpenSID temporary NIK itself: what the village calls the person, kept apart and never matched on. */
  temporaryNik: string | null;
  errors: RecordError[];
  warnings: RecordError[];
}

/**
 * OpenSID writes "0" for "no NIK yet" and `0` + kode_desa(10) + sequence(5) for a temporary one;
 * neither identifies a person.
 */
export function isPlaceholderNumber(value: string): boolean {
  return /^0+$/.test(value) || (value.length === 16 && value.startsWith('0'));
}

const NIK_ERRORS: Record<string, (field: string, raw: string) => RecordError> = {
  NIK_NOT_DIGITS: (f) => recordError('NIK_INVALID_FORMAT', f),
  NIK_LENGTH: (f) => recordError('NIK_INVALID_FORMAT', f),
  NIK_INVALID_PROVINCE: (f, raw) => recordError('NIK_INVALID_PROVINCE', f, raw.slice(0, 2)),
  NIK_INVALID_REGION: (f, raw) => recordError('NIK_INVALID_REGION', f, raw.slice(0, 6)),
  NIK_INVALID_SERIAL: (f) => recordError('NIK_INVALID_SERIAL', f),
  NIK_INVALID_DATE: (f, raw) => recordError('NIK_INVALID_DATE', f, raw.slice(6, 12)),
};

/**
 * Checks a NIK's structure (the identity engine's parser: one reading of a NIK in the whole hub) and
 * its agreement with the record's birth date and sex; a disagreement is a warning, not an error.
 */
export function checkNik(raw: string | null | undefined, field: string, birthDate?: string | null, sex?: 'M' | 'F' | null): NikCheck {
  const out: NikCheck = { nik: null, temporary: false, temporaryNik: null, errors: [], warnings: [] };
  if (raw == null || raw.trim() === '') return out;
  const info = parseNik(raw);
  if (info.empty) return out;
  if (info.temporary) { out.temporary = true; out.temporaryNik = info.digits; return out; }
  const digits = info.digits ?? '';
  out.errors = [...new Set(info.errors)].map((code) => (NIK_ERRORS[code] ?? NIK_ERRORS.NIK_LENGTH!)(field, digits));
  if (out.errors.length) return out;
  out.nik = digits;
  if (birthDate) {
    const [y, m, d] = birthDate.split('-');
    if (y?.slice(2) !== digits.slice(10, 12) || Number(m) !== info.month || Number(d) !== info.day) {
      out.warnings.push(recordError('NIK_BIRTHDATE_MISMATCH', field));
    }
  }
  if (sex && info.sex && sex !== info.sex) out.warnings.push(recordError('NIK_SEX_MISMATCH', field));
  return out;
}

/** KK: region(6) + recording date DDMMYY (no +40) + serial(4). */
export function checkKk(raw: string | null | undefined, field: string): { kk: string | null; errors: RecordError[] } {
  if (raw == null) return { kk: null, errors: [] };
  const value = raw.replace(/[\s.-]/g, '');
  if (value === '' || (isPlaceholderNumber(value) && /^\d+$/.test(value))) return { kk: null, errors: [] };
  if (!/^\d{16}$/.test(value)) return { kk: null, errors: [recordError('KK_INVALID_FORMAT', field)] };
  const day = Number(value.slice(6, 8));
  const month = Number(value.slice(8, 10));
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    return { kk: null, errors: [recordError('KK_INVALID_DATE', field, value.slice(6, 12))] };
  }
  return { kk: value, errors: [] };
}
