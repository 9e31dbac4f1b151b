import { strToU8, zipSync, type Zippable } from 'fflate';
import { OPENSID_PENDUDUK_HEADER } from '../../src/connectors/opendk/penduduk.js';
import { applicant, makeNik } from '../helpers/fixtures.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function colName(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** A cell as a test wants it written: text (shared string), a number, an inline string or a formula. */
export type TestCell = string | number | null | { inline: string } | { formula: string; cached?: string };

/** A minimal valid XLSX, as OpenSID's writer lays it out: shared strings, numbers as <v>. */
export function buildXlsx(rows: TestCell[][]): Uint8Array {
  const shared: string[] = [];
  const index = new Map<string, number>();
  const sheetRows = rows.map((cells, r) => {
    const xml = cells.map((c, i) => {
      const ref = `${colName(i)}${r + 1}`;
      if (c === null || c === '') return '';
      if (typeof c === 'number') return `<c r="${ref}"><v>${c}</v></c>`;
      if (typeof c === 'object' && 'inline' in c) return `<c r="${ref}" t="inlineStr"><is><t>${esc(c.inline)}</t></is></c>`;
      if (typeof c === 'object') return `<c r="${ref}" t="str"><f>${esc(c.formula)}</f><v>${esc(c.cached ?? '')}</v></c>`;
      if (!index.has(c)) { index.set(c, shared.length); shared.push(c); }
      return `<c r="${ref}" t="s"><v>${index.get(c)}</v></c>`;
    }).join('');
    return `<row r="${r + 1}">${xml}</row>`;
  }).join('');
  const files: Zippable = {
    '[Content_Types].xml': strToU8('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
    'xl/workbook.xml': strToU8('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    'xl/_rels/workbook.xml.rels': strToU8('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
    'xl/worksheets/sheet1.xml': strToU8(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${sheetRows}</sheetData></worksheet>`),
    'xl/sharedStrings.xml': strToU8(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${shared.length}" uniqueCount="${shared.length}">${shared.map((s) => `<si><t xml:space="preserve">${esc(s)}</t></si>`).join('')}</sst>`),
  };
  return zipSync(files);
}

export type PendudukRow = Record<(typeof OPENSID_PENDUDUK_HEADER)[number], TestCell>;

/** One resident row as OpenSID's Ekspor_model writes it: codes as numbers, Y-m-d dates, dotted desa_id. */
export function pendudukRow(i: number, desaDotted: string, overrides: Partial<PendudukRow> = {}): PendudukRow {
  const a = applicant(i);
  const village = desaDotted.replace(/\./g, '');
  return {
    alamat: a.address, dusun: a.dusun, rw: a.rw, rt: a.rt, nama: a.fullName.toUpperCase(), nomor_kk: a.kk,
    nomor_nik: makeNik('181201', a.birthDate, a.sex, 100 + i), jenis_kelamin: a.sex === 'M' ? 1 : 2, tempat_lahir: 'PANARAGAN',
    tanggal_lahir: a.birthDate, agama: 1, pendidikan_dlm_kk: 5, pendidikan_sdg_ditempuh: 18, pekerjaan: 9, kawin: 2,
    hubungan_keluarga: i % 3 === 0 ? 1 : 4, kewarganegaraan: 1, nama_ayah: 'SLAMET', nama_ibu: a.motherName.toUpperCase(), gol_darah: 13,
    akta_lahir: '', nomor_dokumen_pasport: '', tanggal_akhir_pasport: '', nomor_dokumen_kitas: '', nik_ayah: '', nik_ibu: '',
    nomor_akta_perkawinan: '', tanggal_perkawinan: '', nomor_akta_perceraian: '', tanggal_perceraian: '', cacat: 7, cara_kb: '',
    hamil: 0, ktp_el: 2, status_rekam: 3, alamat_sekarang: '', id: 1000 + i, foto: `kecil_${village}_${i}.jpg`, status_dasar: 1,
    created_at: '2024-01-15 08:00:00', updated_at: '2026-11-01 10:00:00', desa_id: desaDotted,
    ...overrides,
  };
}

/** The rows as an XLSX in OpenSID's header order (or the given one). */
export function pendudukXlsx(rows: PendudukRow[], header: readonly string[] = OPENSID_PENDUDUK_HEADER): Uint8Array {
  return buildXlsx([[...header], ...rows.map((r) => header.map((h) => r[h as keyof PendudukRow] ?? ''))]);
}

/** "Kirim ke OpenDK": a ZIP named after the village holding the XLSX and photos. */
export function pendudukZip(rows: PendudukRow[], opts: { header?: readonly string[]; photos?: number; name?: string } = {}): Uint8Array {
  const files: Zippable = { [opts.name ?? 'penduduk_1812012002.xlsx']: pendudukXlsx(rows, opts.header) };
  for (let i = 0; i < (opts.photos ?? 2); i++) files[`kecil_foto_${i}.jpg`] = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, i]);
  return zipSync(files);
}
