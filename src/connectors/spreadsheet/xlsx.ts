import { readZip } from './zip.js';
import { refuse } from './refusal.js';
import type { Sheet } from './sheet.js';

/** An XLSX is itself a ZIP; its XML for 50,000 rows of 45 columns stays well under this. */
const XLSX_LIMITS = { maxEntries: 500, maxTotalBytes: 128 * 1024 * 1024 };

const ENTITY: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML entities, then Excel's own `_xHHHH_` escapes for control characters. */
function unescapeXml(s: string): string {
  if (!s.includes('&') && !s.includes('_x')) return s;
  return s
    .replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) =>
      e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITY[e]!)
    .replace(/_x([0-9a-fA-F]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

const SIMPLE_RUN = /^<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)<\/(?:\w+:)?t>$/;

/** The text of every `<t>` run, leaving out phonetic guides (`<rPh>`). */
function runsText(xml: string): string {
  const simple = SIMPLE_RUN.exec(xml);
  if (simple) return unescapeXml(simple[1]!);
  let text = '';
  const body = xml.includes('rPh') ? xml.replace(/<(?:\w+:)?rPh\b[\s\S]*?<\/(?:\w+:)?rPh>/g, '') : xml;
  for (const m of body.matchAll(/<(?:\w+:)?t\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?t>)/g)) text += m[1] ?? '';
  return unescapeXml(text);
}

function sharedStrings(xml: string | undefined): string[] {
  if (!xml) return [];
  return [...xml.matchAll(/<(?:\w+:)?si\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?si>)/g)].map((m) => runsText(m[1] ?? ''));
}

const ATTR = { r: /\br="([^"]*)"/, t: /\bt="([^"]*)"/, Id: /\bId="([^"]*)"/, Target: /\bTarget="([^"]*)"/ };
const attr = (attrs: string, name: keyof typeof ATTR) => ATTR[name].exec(attrs)?.[1];

/** "AB12" → 27 (zero-based column). */
function columnIndex(ref: string): number {
  let n = 0;
  for (const ch of ref) {
    const c = ch.charCodeAt(0);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return n - 1;
}

/** The first worksheet as workbook.xml orders it, found through the workbook's relationships. */
function firstSheetPath(files: Map<string, Uint8Array>, decode: (name: string) => string | undefined): string {
  const workbook = decode('xl/workbook.xml');
  const rels = decode('xl/_rels/workbook.xml.rels');
  const rid = workbook && /<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"/.exec(workbook)?.[1];
  if (rid && rels) {
    for (const m of rels.matchAll(/<Relationship\b([^>]*)\/?>/g)) {
      if (attr(m[1]!, 'Id') !== rid) continue;
      const target = attr(m[1]!, 'Target') ?? '';
      const path = target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`;
      if (files.has(path)) return path;
    }
  }
  const fallback = [...files.keys()].filter((n) => /^xl\/worksheets\/[^/]+\.xml$/.test(n)).sort()[0];
  if (!fallback) throw refuse('XLSX_NO_SHEET', 'Berkas XLSX tidak berisi lembar kerja.', 'The XLSX holds no worksheet.');
  return fallback;
}

/**
 * Reads the first worksheet of an XLSX as text. Shared, inline and formula-string cells become their
 * text; numbers stay as written in the XML (a 16-digit NIK keeps every digit); a formula is returned
 * as its own text ("=SUM(A1:A3)") and never evaluated, so a sheet cannot compute or fetch anything.
 */
export function readXlsx(bytes: Uint8Array, maxRows: number): Sheet {
  const files = readZip(bytes, XLSX_LIMITS, (name) => name.endsWith('.xml') || name.endsWith('.rels'));
  const utf8 = new TextDecoder('utf-8');
  const decode = (name: string) => { const b = files.get(name); return b ? utf8.decode(b) : undefined; };
  if (!files.has('xl/workbook.xml') && ![...files.keys()].some((n) => n.startsWith('xl/worksheets/'))) {
    throw refuse('XLSX_INVALID', 'Berkas ZIP ini bukan lembar kerja XLSX.', 'This ZIP is not an XLSX workbook.');
  }
  const strings = sharedStrings(decode('xl/sharedStrings.xml'));
  const sheetXml = decode(firstSheetPath(files, decode))!;
  const data = /<(?:\w+:)?sheetData\b[^>]*?(?:\/>|>([\s\S]*)<\/(?:\w+:)?sheetData>)/.exec(sheetXml)?.[1] ?? '';

  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  let implicitRow = 0;
  for (const rm of data.matchAll(/<(?:\w+:)?row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?row>)/g)) {
    const r = attr(rm[1]!, 'r');
    const rowNumber = r ? Number(r) : implicitRow + 1;
    implicitRow = rowNumber;
    const cells: string[] = [];
    let implicitCol = -1;
    for (const cm of (rm[2] ?? '').matchAll(/<(?:\w+:)?c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?c>)/g)) {
      const attrs = cm[1]!;
      const inner = cm[2] ?? '';
      const ref = attr(attrs, 'r');
      const col = ref ? columnIndex(ref) : implicitCol + 1;
      implicitCol = col;
      if (col < 0 || col > 16_383) continue;
      cells[col] = cellText(attrs, inner, strings);
    }
    for (let i = 0; i < cells.length; i++) cells[i] ??= '';
    if (cells.every((c) => c.trim() === '')) continue;
    rows.push(cells);
    rowNumbers.push(rowNumber);
    if (rows.length > maxRows + 1) throw tooManyRows(maxRows);
  }
  return { rows, rowNumbers };
}

const FORMULA = /<(?:\w+:)?f\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?f>)/;
const INLINE = /<(?:\w+:)?is\b[^>]*>([\s\S]*?)<\/(?:\w+:)?is>/;
const VALUE = /<(?:\w+:)?v\b[^>]*>([\s\S]*?)<\/(?:\w+:)?v>/;

function cellText(attrs: string, inner: string, strings: string[]): string {
  const formula = inner.includes('f') ? FORMULA.exec(inner) : null;
  if (formula) return `=${unescapeXml(formula[1] ?? '')}`;
  const type = attr(attrs, 't');
  if (type === 'inlineStr') {
    const is = INLINE.exec(inner);
    return is ? runsText(is[1]!) : '';
  }
  const v = VALUE.exec(inner)?.[1];
  if (v === undefined) return '';
  if (type === 's') return strings[Number(v)] ?? '';
  if (type === 'b') return v === '1' ? 'TRUE' : 'FALSE';
  return unescapeXml(v);
}

export function tooManyRows(maxRows: number) {
  return refuse('FILE_TOO_MANY_ROWS', `Berkas berisi lebih dari ${maxRows} baris data; pecah menjadi beberapa berkas.`, `The file holds more than ${maxRows} data rows; split it into several files.`, 413);
}
