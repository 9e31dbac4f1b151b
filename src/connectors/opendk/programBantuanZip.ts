/**
 * OpenSID's Program Bantuan uploads (opensid.md §2.6): a ZIP holding one CSV of programs or of
 * participants, columns by name. OpenSID v2410 writes the program header without `userid` but every
 * row with it (after `edate`, where the program table keeps it), so each value after it would land one
 * column to the right: a row one field longer than a header without `userid` is read with it put back.
 */
import { readZip } from '../spreadsheet/zip.js';
import { readCsv } from '../spreadsheet/csv.js';
import { refuse } from '../spreadsheet/refusal.js';
import type { Sheet } from '../spreadsheet/sheet.js';

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
  return aidRowsOfSheet(readCsv(files.get(csvs[0]!)!, MAX_AID_ROWS), kind, { villageColumn: true });
}

/**
 * Native (camelCase, as /v1/aid-programs and /v1/aid-participants take them) and a few spelled-out
 * header names, as the OpenSID columns the row checks read: a spreadsheet may use either.
 */
const ALIASES: Record<'program' | 'participant', Record<string, string>> = {
  program: {
    villagecode: 'desa_id', kode_desa: 'desa_id', name: 'nama', target: 'sasaran', description: 'ndesc', startdate: 'sdate', enddate: 'edate',
    active: 'status', funding: 'asaldana',
  },
  participant: {
    villagecode: 'desa_id', kode_desa: 'desa_id', programid: 'program_id', participantref: 'peserta', cardnumber: 'no_id_kartu', nik: 'kartu_nik',
    fullname: 'kartu_nama', nama: 'kartu_nama', birthplace: 'kartu_tempat_lahir', birthdate: 'kartu_tanggal_lahir', address: 'kartu_alamat',
    residentid: 'kartu_id_pend', target: 'sasaran',
  },
};

const ACTIVE: Record<string, string> = { true: '1', ya: '1', aktif: '1', yes: '1', false: '0', tidak: '0', 'tidak aktif': '0', no: '0' };

/**
 * The rows of a programs or participants table (first row the header), keyed by OpenSID column name.
 * `villageColumn`: desa_id is required (OpenSID's upload); without it a row may lean on a default village.
 */
export function aidRowsOfSheet(sheet: Sheet, kind: 'program' | 'participant', opts: { villageColumn: boolean }): CsvRows {
  const [head, ...body] = sheet.rows;
  if (!head) throw refuse('CSV_EMPTY', 'Berkas CSV kosong.', 'The CSV is empty.');
  const header = head.map((h) => {
    const n = h.trim().toLowerCase().replace(/^\ufeff/, '');
    return ALIASES[kind][n.replace(/[\s-]+/g, '_')] ?? ALIASES[kind][n.replace(/[\s_-]+/g, '')] ?? n;
  });
  const required = kind === 'program' ? ['id', 'nama'] : ['id', 'program_id'];
  if (opts.villageColumn) required.unshift('desa_id');
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) {
    throw refuse('HEADER_MISSING', `Kolom ${missing.join(', ')} tidak ada pada baris judul.`, `The header lacks ${missing.join(', ')}.`);
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
    // A spreadsheet's yes/no (Excel's TRUE/FALSE) as OpenSID's 1/0.
    if (kind === 'program' && row.status !== undefined) row.status = ACTIVE[row.status.toLowerCase()] ?? row.status;
    return { row, line: sheet.rowNumbers[i + 1]! };
  });
  return { rows, shifted };
}
