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
    return decodeWindows1252(bytes);
  }
}

/** 0x80–0x9F of Windows-1252 (undefined bytes kept as their Latin-1 code point). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
];

/** Node's TextDecoder('windows-1252') decodes as plain Latin-1 (nodejs/node#56542), which turns “ ” € into control characters. */
function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    const codes = Array.from(bytes.subarray(i, i + 8192), (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : b));
    out += String.fromCharCode(...codes);
  }
  return out;
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
