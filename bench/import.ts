/**
 * Spreadsheet and OpenDK intake throughput: a village file of N rows (default 10,000) read, mapped and
 * ingested in chunks of 1,000 through ingestResidents — as `POST /v1/imports` and `tiyuh-hub import` do —
 * then the same file again (every row unchanged), then the same rows as an OpenSID "Kirim ke OpenDK" ZIP.
 * Real Postgres (a fresh database) and Redis; workers off, so the clock measures intake only.
 *   npm run bench:import -- --rows 10000
 */
import { parseArgs } from 'node:util';
import { importResidentFile } from '../src/connectors/spreadsheet/residentImport.js';
import { readPendudukZip } from '../src/connectors/opendk/penduduk.js';
import { ingestRows } from '../src/connectors/spreadsheet/residentFile.js';
import { startBenchHub } from './benchHub.js';
import { applicant } from '../test/helpers/fixtures.js';
import { pendudukRow, pendudukXlsx, pendudukZip } from '../test/connectors/opendk/fixtures/opensidFiles.js';
import { readXlsx } from '../src/connectors/spreadsheet/xlsx.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '10000' } } });
const total = Number(values.rows);

const bench = await startBenchHub({ api: false, workers: false });
const { hub } = bench;

const header = ['nama', 'nik', 'no_kk', 'jenis_kelamin', 'tempatlahir', 'tanggallahir', 'agama_id', 'status_kawin', 'kk_level', 'pekerjaan_id', 'nama_ibu', 'alamat', 'rt', 'rw', 'dusun'];
const lines = [header.join(';')];
for (let i = 0; i < total; i++) {
  const a = applicant(i);
  lines.push([a.fullName, a.nik, a.kk, a.sex === 'M' ? 'LAKI-LAKI' : 'PEREMPUAN', a.birthPlace, a.birthDate, '1', '2', '4', '9', a.motherName, a.address, a.rt, a.rw, a.dusun].join(';'));
}
const csv = new TextEncoder().encode(lines.join('\r\n'));

const report = (label: string, rows: number, ms: number, extra: string) =>
  console.log(`${label.padEnd(34)} ${rows} rows in ${(ms / 1000).toFixed(2)} s = ${Math.round(rows / (ms / 1000))} rows/s  (${extra})`);

// A small import into another village first, so the clock does not include JIT warm-up.
const warmLines = lines.slice(0, 1001).map((l, i) => (i === 0 ? l : l.replace(/;(\d{16});/, (_, nik: string) => `;${nik.slice(0, 12)}9${nik.slice(13)};`)));
const warm = await importResidentFile(hub.ctx, new TextEncoder().encode(warmLines.join('\r\n')), { villageCode: '1812012004' });
console.log(`warm-up: ${warm.rows} rows in ${warm.seconds.toFixed(2)} s`);

let t0 = performance.now();
const first = await importResidentFile(hub.ctx, csv, { villageCode: '1812012002', fileName: 'bench.csv' });
report('CSV import, new rows', first.rows, performance.now() - t0, `${first.created} created, ${first.quarantined} quarantined`);

t0 = performance.now();
const again = await importResidentFile(hub.ctx, csv, { villageCode: '1812012002', fileName: 'bench.csv' });
report('CSV import, same file again', again.rows, performance.now() - t0, `${again.unchanged} unchanged`);

const zip = pendudukZip(Array.from({ length: total }, (_, i) => pendudukRow(i, '18.12.01.2003')), { photos: 0 });
t0 = performance.now();
const parsed = readPendudukZip(zip);
const parseMs = performance.now() - t0;
const opendk = await ingestRows(hub.ctx, parsed.inputs, parsed.rowNumbers, { channel: 'opendk', allowedVillages: new Set(['1812012003']) });
report('OpenDK ZIP (XLSX), new rows', opendk.rows, performance.now() - t0, `ZIP ${(zip.length / 1024).toFixed(0)} KB, read in ${Math.round(parseMs)} ms; ${opendk.created} created`);

// The XLSX reader alone, best of 5, with the heap it grows by while reading (the file's own bytes excluded).
const xlsx = pendudukXlsx(Array.from({ length: total }, (_, i) => pendudukRow(i, '18.12.01.2003')));
let best = Infinity;
let heap = 0;
for (let i = 0; i < 5; i++) {
  globalThis.gc?.();
  const h0 = process.memoryUsage().heapUsed;
  const s0 = performance.now();
  const sheet = readXlsx(xlsx, total + 10);
  best = Math.min(best, performance.now() - s0);
  heap = Math.max(heap, process.memoryUsage().heapUsed - h0);
  if (sheet.rows.length !== total + 1) throw new Error('rows lost');
}
console.log(`${'XLSX read only (best of 5)'.padEnd(34)} ${total} rows in ${(best / 1000).toFixed(3)} s = ${Math.round(total / (best / 1000))} rows/s  (XLSX ${(xlsx.length / 1024).toFixed(0)} KB, heap +${(heap / 1024 / 1024).toFixed(0)} MB)`);

await bench.close();
