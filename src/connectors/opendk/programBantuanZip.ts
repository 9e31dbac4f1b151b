/**
 * OpenSID's Program Bantuan uploads (opensid.md §2.6): a ZIP holding one CSV of programs or of
 * participants, columns by name. OpenSID v2410 writes the program header without `userid` but every
 * row with it (after `edate`, where the program table keeps it), so each value after it would land one
 * column to the right: a row one field longer than a header without `userid` is read with it put back.
 */
import { readZip } from '../spreadsheet/zip.js';
import { readCsv } from '../spreadsheet/csv.js';
import { refuse } from '../spreadsheet/refusal.js';

export const PROGRAM_HEADER = ['desa_id', 'id', 'nama', 'sasaran', 'ndesc', 'sdate', 'edate', 'status', 'asaldana'] as const;
export const PARTICIPANT_HEADER = ['desa_id', 'id', 'peserta', 'program_id', 'no_id_kartu', 'kartu_nik', 'kartu_nama', 'kartu_tempat_lahir',
  'kartu_tanggal_lahir', 'kartu_alamat', 'kartu_peserta', 'kartu_id_pend', 'sasaran'] as const;

const ZIP_LIMITS = { maxEntries: 50, maxTotalBytes: 64 * 1024 * 1024 };
export const MAX_AID_ROWS = 50_000;

export interface CsvRows {
  rows: { row: Record<string, string>; line: number }[];
  /** Rows read with OpenSID v2410's missing `userid` column put back. */
  shifted: number;
}

export function readProgramBantuanZip(bytes: Uint8Array, kind: 'program' | 'participant'): CsvRows {
  const files = readZip(bytes, ZIP_LIMITS, (name) => name.toLowerCase().endsWith('.csv'));
  const csvs = [...files.keys()].filter((n) => !n.split('/').pop()!.startsWith('._'));
  if (csvs.length === 0) throw refuse('ZIP_NO_CSV', 'Arsip ZIP tidak berisi berkas CSV program bantuan.', 'The ZIP holds no CSV file.');
  if (csvs.length > 1) throw refuse('ZIP_MANY_CSV', `Arsip ZIP berisi ${csvs.length} berkas CSV; kirim satu saja.`, `The ZIP holds ${csvs.length} CSV files; send exactly one.`);
  const sheet = readCsv(files.get(csvs[0]!)!, MAX_AID_ROWS);
  const [head, ...body] = sheet.rows;
  if (!head) throw refuse('CSV_EMPTY', 'Berkas CSV kosong.', 'The CSV is empty.');
  const header = head.map((h) => h.trim().toLowerCase());
  const required = kind === 'program' ? ['desa_id', 'id', 'nama'] : ['desa_id', 'id', 'program_id'];
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) {
    throw refuse('HEADER_MISSING', `Kolom ${missing.join(', ')} tidak ada pada baris judul CSV.`, `The CSV header lacks ${missing.join(', ')}.`);
  }
  const withUserid = kind === 'program' && !header.includes('userid') && header.includes('edate')
    ? [...header.slice(0, header.indexOf('edate') + 1), 'userid', ...header.slice(header.indexOf('edate') + 1)]
    : null;
  let shifted = 0;
  const rows = body.map((cells, i) => {
    let names = header;
    if (withUserid && cells.length === header.length + 1) { names = withUserid; shifted += 1; }
    const row: Record<string, string> = {};
    names.forEach((n, j) => { if (n) row[n] = (cells[j] ?? '').trim(); });
    return { row, line: sheet.rowNumbers[i + 1]! };
  });
  return { rows, shifted };
}
