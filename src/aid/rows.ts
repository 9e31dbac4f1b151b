/**
 * Aid programs and participants as rows: checked field by field (stable codes, Indonesian and English),
 * whatever channel they came by (OpenSID's CSV, the JSON API).
 */
import { createHash } from 'node:crypto';
import type { RecordError } from '../pipeline/validate/recordError.js';
import { parseNik } from '../pipeline/identity/index.js';

export interface AidProgramInput {
  villageCode: string; localId: string; name: string; target: number | null; description: string | null;
  startDate: string | null; endDate: string | null; active: boolean | null; funding: string | null;
}

export interface AidParticipantInput {
  villageCode: string; localId: string; programLocalId: string; participantRef: string | null; cardNumber: string | null;
  nik: string | null; fullName: string | null; birthPlace: string | null; birthDate: string | null; address: string | null;
  residentLocalId: string | null; target: number | null;
}

export type Checked<T> = { ok: true; value: T; warnings: RecordError[] } | { ok: false; errors: RecordError[] };

const err = (field: string, code: string, id: string, en: string): RecordError => ({ field, code, message: { id, en } } as RecordError);

const text = (v: unknown, max: number): string | null => {
  if (v === null || v === undefined) return null;
  const s = String(v).trim();
  return s === '' || s === '-' ? null : s.slice(0, max);
};

/** Y-m-d or d-m-Y (OpenSID writes both); '0000-00-00' is OpenSID's empty date. */
export function parseAidDate(v: unknown): { value: string | null; bad: boolean } {
  const s = text(v, 40);
  if (!s || /^0{4}-0{2}-0{2}/.test(s)) return { value: null, bad: false };
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$/.exec(s);
  let y: number, mo: number, d: number;
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if ((m = /^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$/.exec(s))) [y, mo, d] = [Number(m[3]), Number(m[2]), Number(m[1])];
  else return { value: null, bad: true };
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d || y < 1900 || y > 2100) return { value: null, bad: true };
  return { value: dt.toISOString().slice(0, 10), bad: false };
}

const localId = (v: unknown): string | null => {
  const s = text(v, 100);
  return s && /^[A-Za-z0-9._-]{1,40}$/.test(s) ? s : null;
};

function target(v: unknown, errors: RecordError[]): number | null {
  const s = text(v, 10);
  if (s === null) return null;
  if (!/^[1-4]$/.test(s)) {
    errors.push(err('sasaran', 'TARGET_INVALID', `Sasaran "${s}" bukan 1 (penduduk), 2 (keluarga), 3 (rumah tangga) atau 4 (kelompok).`, `Target "${s}" is not 1-4.`));
    return null;
  }
  return Number(s);
}

export function checkProgram(villageCode: string, r: Record<string, unknown>): Checked<AidProgramInput> {
  const errors: RecordError[] = [];
  const id = localId(r.id);
  if (!id) errors.push(err('id', r.id == null || r.id === '' ? 'FIELD_REQUIRED' : 'ID_INVALID', 'Kolom id program wajib berisi angka/kode (maks. 40).', 'The program id is required (up to 40 letters or digits).'));
  const name = text(r.nama, 200);
  if (!name) errors.push(err('nama', 'FIELD_REQUIRED', 'Nama program wajib diisi.', 'The program name is required.'));
  const t = target(r.sasaran, errors);
  const start = parseAidDate(r.sdate);
  const end = parseAidDate(r.edate);
  if (start.bad) errors.push(err('sdate', 'DATE_INVALID', `Tanggal mulai "${String(r.sdate)}" tidak sah.`, 'The start date is not a valid date.'));
  if (end.bad) errors.push(err('edate', 'DATE_INVALID', `Tanggal selesai "${String(r.edate)}" tidak sah.`, 'The end date is not a valid date.'));
  const status = text(r.status, 10);
  if (status !== null && status !== '0' && status !== '1') {
    errors.push(err('status', 'STATUS_INVALID', `Status "${status}" bukan 0 (tidak aktif) atau 1 (aktif).`, `Status "${status}" is not 0 or 1.`));
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true, warnings: [],
    value: { villageCode, localId: id!, name: name!, target: t, description: text(r.ndesc, 2000), startDate: start.value, endDate: end.value, active: status === null ? null : status === '1', funding: text(r.asaldana, 200) },
  };
}

export function checkParticipant(villageCode: string, r: Record<string, unknown>): Checked<AidParticipantInput> {
  const errors: RecordError[] = [];
  const warnings: RecordError[] = [];
  const id = localId(r.id);
  if (!id) errors.push(err('id', r.id == null || r.id === '' ? 'FIELD_REQUIRED' : 'ID_INVALID', 'Kolom id peserta wajib berisi angka/kode (maks. 40).', 'The participant id is required (up to 40 letters or digits).'));
  const program = localId(r.program_id);
  if (!program) errors.push(err('program_id', 'FIELD_REQUIRED', 'Kolom program_id wajib diisi.', 'program_id is required.'));
  const name = text(r.kartu_nama, 200);
  const ref = text(r.peserta, 40);
  if (!name && !ref) errors.push(err('kartu_nama', 'FIELD_REQUIRED', 'Peserta tanpa nama dan tanpa nomor peserta tidak dapat dikenali.', 'A participant needs a name or a participant number.'));
  const birth = parseAidDate(r.kartu_tanggal_lahir);
  if (birth.bad) errors.push(err('kartu_tanggal_lahir', 'DATE_INVALID', `Tanggal lahir "${String(r.kartu_tanggal_lahir)}" tidak sah.`, 'The birth date is not a valid date.'));
  const t = target(r.sasaran, errors);
  const rawNik = text(r.kartu_nik, 40);
  let nik: string | null = null;
  if (rawNik) {
    const info = parseNik(rawNik);
    if (info.valid || info.temporary) nik = info.digits;
    else if (!info.empty) warnings.push(err('kartu_nik', 'NIK_INVALID', 'NIK pada kartu tidak sah; peserta dicocokkan lewat nama dan tanggal lahir.', 'The card NIK is not valid; the participant is matched by name and birth date.'));
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true, warnings,
    value: {
      villageCode, localId: id!, programLocalId: program!, participantRef: ref, cardNumber: text(r.no_id_kartu, 64), nik, fullName: name,
      birthPlace: text(r.kartu_tempat_lahir, 100), birthDate: birth.value, address: text(r.kartu_alamat, 300),
      residentLocalId: localId(r.kartu_id_pend), target: t,
    },
  };
}

export const contentHash = (v: object) => createHash('sha1').update(JSON.stringify(v)).digest('hex');

/** The same program across villages: its name in capitals with only letters and digits ("Bantuan Langsung Tunai - DD" → "BANTUAN-LANGSUNG-TUNAI-DD"). */
export const programKeyOf = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 64) || 'TANPA-NAMA';
