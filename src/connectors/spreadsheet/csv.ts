import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { refuse } from './refusal.js';
import type { Sheet } from './sheet.js';
import { tooManyRows } from './xlsx.js';

/**
 * Text of a CSV as villages save it: UTF-8 (with or without BOM), UTF-16 from "Unicode text", or
 * Windows-1252 from an older Excel. Bytes that are not valid UTF-8 are read as Windows-1252 (a
 * superset of Latin-1's printable range), so "Sumber Rejo Ã©" never appears. The legacy code pages are
 * iconv-lite's: Node's own TextDecoder('windows-1252') decodes as plain Latin-1 (nodejs/node#56542),
 * turning “ ” € into control characters.
 */
export function decodeText(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return decodeUtf8OrCp1252(buf.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return iconv.decode(buf.subarray(2), 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return iconv.decode(buf.subarray(2), 'utf-16be');
  return decodeUtf8OrCp1252(buf);
}

function decodeUtf8OrCp1252(buf: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return iconv.decode(buf, 'windows-1252');
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
  let records: { record: string[]; raw: string }[];
  try {
    records = parse(text, {
      delimiter: delimiterOf(text), relax_column_count: true, skip_empty_lines: false, raw: true, bom: true,
    }) as unknown as { record: string[]; raw: string }[];
  } catch (err) {
    const e = err as { code?: string; lines?: number; message: string };
    throw refuse('CSV_INVALID', `CSV tidak dapat dibaca${e.lines ? ` (baris ${e.lines})` : ''}: periksa tanda kutip.`, `The CSV cannot be parsed: ${e.message}`);
  }
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  // csv-parse's own line count drifts on CRLF inside quotes; counted here from each record's raw text.
  let line = 1;
  for (const { record, raw } of records) {
    if (!record.every((c) => c.trim() === '')) {
      rows.push(record);
      rowNumbers.push(line);
    }
    // `raw` ends with "\n" for LF files but stops before it for CRLF ones.
    line += (raw.match(/\n/g)?.length ?? 0) + (raw.endsWith('\n') ? 0 : 1);
  }
  if (rows.length > maxRows + 1) throw tooManyRows(maxRows);
  return { rows, rowNumbers };
}
