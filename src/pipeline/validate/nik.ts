import type { RecordError } from './recordError.js';
import { recordError } from './recordError.js';

/** Kemendagri province codes (the first two NIK digits), including the Papua provinces of 2022. */
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
  61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
]);

export interface NikCheck {
  /** The NIK when it is a real one, null when absent or an OpenSID placeholder. */
  nik: string | null;
  temporary: boolean;
  errors: RecordError[];
  warnings: RecordError[];
}

function daysIn(month: number, year: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * OpenSID writes "0" for "no NIK yet" and `0` + kode_desa(10) + sequence(5) for a temporary one;
 * neither identifies a person.
 */
export function isPlaceholderNumber(value: string): boolean {
  return /^0+$/.test(value) || (value.length === 16 && value.startsWith('0'));
}

/** Checks a NIK's structure and its agreement with the record's birth date and sex. */
export function checkNik(raw: string | null | undefined, field: string, birthDate?: string | null, sex?: 'M' | 'F' | null): NikCheck {
  const out: NikCheck = { nik: null, temporary: false, errors: [], warnings: [] };
  if (raw == null) return out;
  const value = raw.replace(/[\s.-]/g, '');
  if (value === '') return out;
  if (isPlaceholderNumber(value) && /^\d+$/.test(value)) { out.temporary = true; return out; }
  if (!/^\d{16}$/.test(value)) { out.errors.push(recordError('NIK_INVALID_FORMAT', field)); return out; }
  const province = Number(value.slice(0, 2));
  if (!PROVINCES.has(province)) out.errors.push(recordError('NIK_INVALID_PROVINCE', field, value.slice(0, 2)));
  let day = Number(value.slice(6, 8));
  const month = Number(value.slice(8, 10));
  const yy = Number(value.slice(10, 12));
  const female = day > 40;
  if (female) day -= 40;
  if (month < 1 || month > 12) out.errors.push(recordError('NIK_INVALID_DATE', field, `bulan ${value.slice(8, 10)}`));
  else if (day < 1 || day > 31 || day > daysIn(month, 2000 + yy)) {
    out.errors.push(recordError('NIK_INVALID_DATE', field, `tanggal ${value.slice(6, 8)}`));
  }
  if (out.errors.length) return out;
  out.nik = value;
  if (birthDate) {
    const [y, m, d] = birthDate.split('-');
    if (y?.slice(2) !== value.slice(10, 12) || Number(m) !== month || Number(d) !== day) {
      out.warnings.push(recordError('NIK_BIRTHDATE_MISMATCH', field));
    }
  }
  if (sex && (sex === 'F') !== female) out.warnings.push(recordError('NIK_SEX_MISMATCH', field));
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
