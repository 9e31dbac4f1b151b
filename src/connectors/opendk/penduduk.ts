import { readZip } from '../spreadsheet/zip.js';
import { readXlsx } from '../spreadsheet/xlsx.js';
import { refuse } from '../spreadsheet/refusal.js';
import { residentRows, type ResidentRows } from '../spreadsheet/residentColumns.js';
import { MAX_ROWS } from '../spreadsheet/residentFile.js';

/**
 * The header OpenSID writes (Sinkronisasi::data_penduduk / PendudukOpendkExport), in its order.
 * Columns are matched by name, so a file with them reordered is read the same.
 */
export const OPENSID_PENDUDUK_HEADER = [
  'alamat', 'dusun', 'rw', 'rt', 'nama', 'nomor_kk', 'nomor_nik', 'jenis_kelamin', 'tempat_lahir', 'tanggal_lahir', 'agama',
  'pendidikan_dlm_kk', 'pendidikan_sdg_ditempuh', 'pekerjaan', 'kawin', 'hubungan_keluarga', 'kewarganegaraan', 'nama_ayah',
  'nama_ibu', 'gol_darah', 'akta_lahir', 'nomor_dokumen_pasport', 'tanggal_akhir_pasport', 'nomor_dokumen_kitas', 'nik_ayah',
  'nik_ibu', 'nomor_akta_perkawinan', 'tanggal_perkawinan', 'nomor_akta_perceraian', 'tanggal_perceraian', 'cacat', 'cara_kb',
  'hamil', 'ktp_el', 'status_rekam', 'alamat_sekarang', 'id', 'foto', 'status_dasar', 'created_at', 'updated_at', 'desa_id',
] as const;

/** OpenDK accepts a ZIP of at most 5 MB; it holds the XLSX and the residents' photos. */
export const MAX_ZIP_BYTES = 5 * 1024 * 1024;
const ZIP_LIMITS = { maxEntries: 5_000, maxTotalBytes: 64 * 1024 * 1024 };

/**
 * The rows of OpenSID's "Kirim ke OpenDK" ZIP. Photos are not kept (the hub holds no images); only the
 * one XLSX is inflated.
 */
export function readPendudukZip(bytes: Uint8Array): ResidentRows {
  const files = readZip(bytes, ZIP_LIMITS, (name) => name.toLowerCase().endsWith('.xlsx'));
  const sheets = [...files.keys()].filter((n) => !n.split('/').pop()!.startsWith('~$'));
  if (sheets.length === 0) throw refuse('ZIP_NO_XLSX', 'Arsip ZIP tidak berisi berkas data penduduk (.xlsx).', 'The ZIP holds no resident workbook (.xlsx).');
  if (sheets.length > 1) throw refuse('ZIP_MANY_XLSX', `Arsip ZIP berisi ${sheets.length} berkas .xlsx; kirim satu saja.`, `The ZIP holds ${sheets.length} .xlsx files; send exactly one.`);
  const sheet = readXlsx(files.get(sheets[0]!)!, MAX_ROWS);
  return residentRows(sheet, { required: ['localId', 'villageCode', 'fullName'] });
}
