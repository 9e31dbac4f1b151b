import { parse } from 'csv-parse/sync';
import { refuse } from './refusal.js';
import type { Sheet } from './sheet.js';
import { tooManyRows } from './xlsx.js';

/**
 * Text of a CSV as villages save it: UTF-8 (with or without BOM), UTF-16 from "Unicode text", or
 * Windows-1252/Latin-1 from an older Excel. Bytes that are not valid UTF-8 are read as Windows-1252
 * (a superset of Latin-1's printable range), so "Sumber Rejo Ã©" never appears.
 */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** Indonesian Excel writes `;` (the decimal separator is a comma); others write `,` or a tab. */
function delimiterOf(text: string): string {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length] as const);
  return counts.reduce((best, c) => (c[1] > best[1] ? c : best))[0];
}

export function readCsv(bytes: Uint8Array, maxRows: number): Sheet {
  const text = decodeText(bytes);
  if (text.includes('\u0000')) {
    throw refuse('FILE_NOT_TEXT', 'Berkas bukan CSV (berisi data biner); kirim CSV atau XLSX.', 'The file is not a CSV (it holds binary data); send CSV or XLSX.');
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter: delimiterOf(text), relax_column_count: true, skip_empty_lines: true, info: true, bom: true,
      to_line: maxRows + 2,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as { code?: string; lines?: number; message: string };
    throw refuse('CSV_INVALID', `CSV tidak dapat dibaca${e.lines ? ` (baris ${e.lines})` : ''}: periksa tanda kutip.`, `The CSV cannot be parsed: ${e.message}`);
  }
  if (records.length > maxRows + 1) throw tooManyRows(maxRows);
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  for (const { record, info } of records) {
    if (record.every((c) => c.trim() === '')) continue;
    // info.lines is the line a record ends on; a quoted value may span several lines.
    const spanned = record.reduce((n, c) => n + (c.match(/\n/g)?.length ?? 0), 0);
    rows.push(record);
    rowNumbers.push(info.lines - spanned);
  }
  return { rows, rowNumbers };
}
