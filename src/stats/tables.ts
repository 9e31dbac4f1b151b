/** Each figure as a table with Indonesian headers: what the CSV/XLSX exports and the console tables show. */
import type { ExportTable } from './export.js';
import type { dataQuality, pyramid, serviceFigures, villageFigures } from './queries.js';
import type { aidReach, doubleEnrolments } from '../aid/doubleEnrolment.js';

type Result<F extends (...a: never[]) => unknown> = Awaited<ReturnType<F>>;

export function villagesTable(r: Result<typeof villageFigures>): ExportTable {
  return {
    name: 'penduduk-per-tiyuh', asOf: r.asOf,
    columns: [
      { key: 'villageCode', label: 'Kode tiyuh' }, { key: 'name', label: 'Tiyuh' }, { key: 'residents', label: 'Penduduk (orang)' },
      { key: 'records', label: 'Catatan diterima' }, { key: 'duplicates', label: 'Duplikat dihapus' }, { key: 'households', label: 'Keluarga (KK)' },
      { key: 'children0to23m', label: 'Anak 0-23 bulan' }, { key: 'children0to59m', label: 'Anak 0-59 bulan' }, { key: 'pregnant', label: 'Ibu hamil' },
      { key: 'women15to49', label: 'Perempuan 15-49 tahun' }, { key: 'withoutNik', label: 'Tanpa NIK' },
    ],
    rows: r.items as unknown as Record<string, unknown>[],
  };
}

export function pyramidTable(r: Result<typeof pyramid>): ExportTable {
  return {
    name: 'piramida-penduduk', asOf: r.asOf,
    columns: [{ key: 'ageGroup', label: 'Kelompok umur' }, { key: 'male', label: 'Laki-laki' }, { key: 'female', label: 'Perempuan' }],
    rows: r.groups,
  };
}

export function qualityTable(r: Result<typeof dataQuality>): ExportTable {
  return {
    name: 'mutu-data-per-tiyuh', asOf: r.asOf,
    columns: [
      { key: 'rank', label: 'Peringkat' }, { key: 'villageCode', label: 'Kode tiyuh' }, { key: 'name', label: 'Tiyuh' }, { key: 'score', label: 'Skor (0-100)' },
      { key: 'validShare', label: 'Bagian catatan sah' }, { key: 'records', label: 'Catatan' }, { key: 'openQuarantine', label: 'Karantina terbuka' },
      { key: 'duplicatesWaiting', label: 'Dugaan duplikat menunggu' }, { key: 'lastReceivedAt', label: 'Data terakhir diterima' }, { key: 'withoutNik', label: 'Penduduk tanpa NIK' },
    ],
    rows: r.items,
  };
}

export function servicesTable(r: Result<typeof serviceFigures>): ExportTable {
  return {
    name: 'layanan-per-minggu', asOf: r.asOf,
    columns: [
      { key: 'week', label: 'Minggu (Senin)' }, { key: 'serviceCode', label: 'Layanan' }, { key: 'agencyCode', label: 'Instansi' },
      { key: 'kecamatanCode', label: 'Kecamatan' }, { key: 'registrations', label: 'Pendaftaran' }, { key: 'acknowledged', label: 'Diterima instansi' },
    ],
    rows: r.items,
  };
}

export function waitsTable(r: Result<typeof serviceFigures>): ExportTable {
  return {
    name: 'waktu-tunggu-instansi', asOf: r.asOf,
    columns: [
      { key: 'agencyCode', label: 'Instansi' }, { key: 'acknowledged', label: 'Diterima' }, { key: 'waitP50Seconds', label: 'Tunggu p50 (detik)' },
      { key: 'waitP90Seconds', label: 'Tunggu p90 (detik)' }, { key: 'stillWaiting', label: 'Masih menunggu' },
      { key: 'open', label: 'Belum selesai (semua minggu)' }, { key: 'overdue', label: 'Lewat batas layanan' },
    ],
    rows: r.agencies,
  };
}

export function doubleEnrolmentTable(r: Result<typeof doubleEnrolments>): ExportTable {
  return {
    name: 'penerima-ganda', asOf: r.asOf,
    columns: [
      { key: 'citizenId', label: 'ID warga' }, { key: 'fullName', label: 'Nama' }, { key: 'programKey', label: 'Program' },
      { key: 'aVillage', label: 'Tiyuh A' }, { key: 'aProgram', label: 'Program A' }, { key: 'aNik', label: 'NIK di A' },
      { key: 'bVillage', label: 'Tiyuh B' }, { key: 'bProgram', label: 'Program B' }, { key: 'bNik', label: 'NIK di B' },
    ],
    rows: r.items.map((p) => ({
      citizenId: p.citizenId, fullName: p.fullName, programKey: p.programKey,
      aVillage: p.a.villageCode, aProgram: p.a.programName, aNik: p.a.nik, bVillage: p.b.villageCode, bProgram: p.b.programName, bNik: p.b.nik,
    })),
  };
}

export function aidTable(r: Result<typeof aidReach>): ExportTable {
  return {
    name: 'penerima-bantuan-per-tiyuh', asOf: r.asOf,
    columns: [
      { key: 'villageCode', label: 'Kode tiyuh' }, { key: 'programName', label: 'Program' }, { key: 'programKey', label: 'Kunci program' },
      { key: 'enrolments', label: 'Kepesertaan' }, { key: 'people', label: 'Orang' }, { key: 'unlinked', label: 'Belum dikenali' },
    ],
    rows: r.items,
  };
}
