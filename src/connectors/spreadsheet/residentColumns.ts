import type { ResidentInput } from '../../pipeline/intake/residents.js';
import { refuse } from './refusal.js';
import type { Sheet } from './sheet.js';

type Field = Exclude<keyof ResidentInput, 'extra'>;

/**
 * Header names a column may carry, compared lower-cased without `_`, `-` or spaces: OpenSID's
 * OpenDK export (`nomor_nik`, `tanggal_lahir`), its own table and Excel exports (`nik`, `tanggallahir`,
 * `agama_id`), and the hub's camelCase names (`birthDate`).
 */
const ALIASES: Record<Field, string[]> = {
  localId: ['id', 'idpenddesa', 'idpenduduk', 'localid'],
  villageCode: ['desaid', 'kodedesa', 'villagecode'],
  nik: ['nik', 'nomornik'],
  kk: ['nokk', 'nomorkk', 'kk'],
  fullName: ['nama', 'namalengkap', 'fullname'],
  sex: ['jeniskelamin', 'sex', 'jk'],
  birthDate: ['tanggallahir', 'tgllahir', 'birthdate'],
  birthPlace: ['tempatlahir', 'birthplace'],
  religion: ['agama', 'agamaid', 'religion'],
  maritalStatus: ['kawin', 'statuskawin', 'maritalstatus'],
  familyRole: ['hubungankeluarga', 'kklevel', 'shdk', 'familyrole'],
  education: ['pendidikandlmkk', 'pendidikankkid', 'education'],
  occupation: ['pekerjaan', 'pekerjaanid', 'occupation'],
  citizenship: ['kewarganegaraan', 'warganegaraid', 'citizenship'],
  fatherName: ['namaayah', 'fathername'],
  motherName: ['namaibu', 'mothername'],
  address: ['alamat', 'address'],
  dusun: ['dusun'],
  rt: ['rt'],
  rw: ['rw'],
  statusDasar: ['statusdasar'],
  sourceUpdatedAt: ['updatedat', 'sourceupdatedat'],
};

/** How a missing column is named to the person who made the file. */
const SHOWN: Partial<Record<Field, string>> = { localId: 'id', villageCode: 'desa_id', fullName: 'nama', nik: 'nik/nomor_nik' };

const FIELD_OF = new Map<string, Field>(Object.entries(ALIASES).flatMap(([f, names]) => names.map((n) => [n, f as Field] as const)));

/** Columns that hold dates: a bare number there is an Excel serial day. */
const DATE_COLUMNS = new Set(['tanggallahir', 'tgllahir', 'birthdate', 'tanggalperkawinan', 'tanggalperceraian', 'tanggalakhirpasport', 'tanggalakhirpaspor', 'createdat', 'updatedat', 'sourceupdatedat']);

export const normalizeHeader = (h: string) => h.replace(/^\ufeff/, '').trim().toLowerCase().replace(/[\s_-]+/g, '');

/** Excel counts days from 1899-12-30 (its 1900 leap-year bug included); fractions are the time of day. */
export function excelSerialToText(serial: number): string {
  const ms = Math.round((serial - 25569) * 86_400_000);
  const iso = new Date(ms).toISOString();
  return serial % 1 === 0 ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

export interface ResidentRows {
  inputs: ResidentInput[];
  /** File row of each input. */
  rowNumbers: number[];
  /** The file's header, as written, per column. */
  header: string[];
}

export interface MappingOptions {
  /** Columns that must be present, by field. */
  required: Field[];
  /** Used when the file has no village column (spreadsheet import of one village). */
  defaultVillage?: string;
  /** Without an id column, a row's NIK is its id (OpenSID's own import keys on NIK too). */
  nikAsLocalId?: boolean;
}

/**
 * Maps a sheet's rows to resident inputs by header name, so columns may come in any order. A column the
 * hub does not know is kept in `extra` under its header; a required column that is missing refuses the file.
 */
export function residentRows(sheet: Sheet, opts: MappingOptions): ResidentRows {
  const [headerRow, ...body] = sheet.rows;
  if (!headerRow) throw refuse('FILE_EMPTY', 'Berkas tidak berisi baris judul kolom maupun data.', 'The file holds neither a header row nor data.');
  const header = headerRow.map((h) => h.replace(/^\ufeff/, '').trim());
  const keys = header.map(normalizeHeader);
  const fields = keys.map((k) => FIELD_OF.get(k));
  const dates = keys.map((k) => DATE_COLUMNS.has(k));
  const seen = new Map<Field, number>();
  fields.forEach((f, i) => {
    if (!f) return;
    if (seen.has(f)) {
      throw refuse('HEADER_DUPLICATE', `Kolom "${header[seen.get(f)!]}" dan "${header[i]}" berisi data yang sama (${f}); hapus salah satunya.`,
        `Columns "${header[seen.get(f)!]}" and "${header[i]}" both hold ${f}; remove one.`);
    }
    seen.set(f, i);
  });
  const missing = opts.required.filter((f) => !seen.has(f));
  if (opts.nikAsLocalId && !seen.has('localId') && !seen.has('nik')) missing.push('localId');
  if (missing.length) {
    const names = missing.map((f) => SHOWN[f] ?? f).join(', ');
    throw refuse('HEADER_MISSING_COLUMN', `Kolom wajib tidak ditemukan pada baris judul: ${names}. Baris pertama berkas harus berisi nama kolom.`,
      `Required column(s) missing from the header row: ${names}. The first row of the file must name the columns.`);
  }
  if (body.length === 0) throw refuse('FILE_NO_ROWS', 'Berkas hanya berisi judul kolom, tanpa data penduduk.', 'The file holds a header row but no resident rows.');

  const inputs: ResidentInput[] = body.map((cells) => {
    const input: ResidentInput = { localId: '', villageCode: opts.defaultVillage ?? '' };
    const extra: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) {
      let value: string = cells[i] ?? '';
      if (dates[i] && /^\d{1,6}(\.\d+)?$/.test(value.trim())) value = excelSerialToText(Number(value));
      const f = fields[i];
      if (f) (input as unknown as Record<string, unknown>)[f] = value;
      else if (header[i] && value !== '') extra[header[i]!] = value;
    }
    if (opts.defaultVillage && !input.villageCode) input.villageCode = opts.defaultVillage;
    if (opts.nikAsLocalId && !seen.has('localId')) input.localId = String(input.nik ?? '').replace(/[\s.-]/g, '');
    // Sorted, so the same row with its columns in another order hashes the same (a resend stays unchanged).
    if (Object.keys(extra).length) input.extra = Object.fromEntries(Object.entries(extra).sort(([a], [b]) => (a < b ? -1 : 1)));
    return input;
  });
  return { inputs, rowNumbers: sheet.rowNumbers.slice(1), header };
}
