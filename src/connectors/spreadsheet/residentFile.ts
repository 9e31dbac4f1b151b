import { stringify } from 'csv-stringify/sync';
import { MAX_BATCH } from '../../pipeline/queues.js';
import { ingestResidents, type IngestOptions, type ResidentInput } from '../../pipeline/intake/residents.js';
import type { PipelineContext } from '../../pipeline/context.js';
import type { RecordError } from '../../pipeline/validate/recordError.js';
import { readCsv } from './csv.js';
import { refuse } from './refusal.js';
import type { Sheet } from './sheet.js';
import { readXlsx } from './xlsx.js';
import { isZip } from './zip.js';

/** A village has at most a few thousand residents; a file far above that is a mistake or an attack. */
export const MAX_ROWS = 50_000;

/** Reads a CSV or XLSX by its content (the name may lie); an old binary .xls is refused with the way out. */
export function readSheet(bytes: Uint8Array): Sheet {
  if (bytes.length === 0) throw refuse('FILE_EMPTY', 'Berkas kosong.', 'The file is empty.');
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0) {
    throw refuse('FILE_XLS_UNSUPPORTED', 'Format Excel lama (.xls) tidak didukung; simpan sebagai .xlsx atau .csv.', 'Old Excel (.xls) files are not supported; save as .xlsx or .csv.');
  }
  return isZip(bytes) ? readXlsx(bytes, MAX_ROWS) : readCsv(bytes, MAX_ROWS);
}

export interface RowOutcome {
  row: number;
  localId: string;
  status: 'created' | 'updated' | 'unchanged' | 'quarantined' | 'refused';
  id?: number;
  quarantineId?: number;
  errors?: RecordError[];
  warnings?: RecordError[];
}

export interface FileIngestResult {
  /** The inbox row of the first chunk: the file's id. */
  inboxId: number;
  inboxIds: number[];
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** Rows that were quarantined or carry warnings, numbered as in the file. */
  problems: RowOutcome[];
}

/**
 * Chunks of at most MAX_BATCH rows, all rows of one resident id in the same chunk, so a duplicated id
 * is caught by ingestResidents wherever it sits in the file.
 */
export function chunkById(inputs: ResidentInput[]): number[][] {
  const groups = new Map<string, number[]>();
  inputs.forEach((input, i) => {
    const id = String(input.localId ?? '').trim();
    const key = id ? `${input.villageCode}/${id}` : `#${i}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const chunks: number[][] = [];
  let current: number[] = [];
  for (const g of groups.values()) {
    if (current.length + g.length > MAX_BATCH && current.length) { chunks.push(current); current = []; }
    current.push(...g);
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/** Sends a file's rows through ingestResidents chunk by chunk; each chunk is its own committed transaction. */
export async function ingestRows(
  ctx: PipelineContext, inputs: ResidentInput[], rowNumbers: number[], opts: IngestOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<FileIngestResult> {
  const out: FileIngestResult = { inboxId: 0, inboxIds: [], rows: inputs.length, created: 0, updated: 0, unchanged: 0, quarantined: 0, problems: [] };
  let done = 0;
  onProgress?.(0, inputs.length);
  for (const chunk of chunkById(inputs)) {
    const res = await ingestResidents(ctx, chunk.map((i) => inputs[i]!), { ...opts, raw: { rows: chunk.map((i) => rowNumbers[i]), records: chunk.map((i) => inputs[i]) } });
    out.inboxIds.push(res.inboxId);
    out.created += res.created;
    out.updated += res.updated;
    out.unchanged += res.unchanged;
    out.quarantined += res.quarantined;
    for (const r of res.records) {
      if (r.status !== 'quarantined' && r.status !== 'refused' && !r.warnings) continue;
      out.problems.push({
        row: rowNumbers[chunk[r.index]!]!, localId: r.localId, status: r.status,
        ...(r.id ? { id: r.id } : {}), ...(r.quarantineId ? { quarantineId: r.quarantineId } : {}),
        ...(r.errors ? { errors: r.errors } : {}), ...(r.warnings ? { warnings: r.warnings } : {}),
      });
    }
    done += chunk.length;
    onProgress?.(done, inputs.length);
  }
  out.inboxId = out.inboxIds[0] ?? 0;
  out.problems.sort((a, b) => a.row - b.row);
  return out;
}

const PROBLEM_COLUMNS = ['baris', 'id', 'status', 'jenis', 'kode', 'kolom', 'pesan', 'message', 'quarantine_id'];

/**
 * One line per problem of a row (errors, then warnings), rows numbered as in the uploaded file. Written
 * for Excel as village and kecamatan staff open it: `;` between columns (Excel in the Indonesian locale
 * splits on it, the comma being the decimal separator), a UTF-8 BOM, CRLF, and a cell that would run as
 * a formula (= + - @ ...) prefixed with an apostrophe (csv-stringify's escape_formulas).
 */
export function problemsCsv(problems: RowOutcome[]): string {
  const records: unknown[][] = [];
  for (const p of problems) {
    const list = [...(p.errors ?? []).map((e) => ['error', e] as const), ...(p.warnings ?? []).map((w) => ['warning', w] as const)];
    for (const [kind, e] of list) records.push([p.row, p.localId, p.status, kind, e.code, e.field, e.message.id, e.message.en, p.quarantineId ?? '']);
  }
  return stringify(records, { delimiter: ';', bom: true, record_delimiter: 'windows', escape_formulas: true, header: true, columns: PROBLEM_COLUMNS });
}
