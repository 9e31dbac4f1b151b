/**
 * Tables out as files people open in Excel: CSV as Indonesian Excel reads it (`;` between fields, a
 * UTF-8 BOM so names keep their letters, CRLF) and XLSX written by exceljs.
 */
import ExcelJS from 'exceljs';

export interface Column { key: string; label: string }

export interface ExportTable {
  /** The sheet's name and the file's stem. */
  name: string;
  /** Shown above the header in XLSX and as the first line's comment nowhere else: the figure's date. */
  asOf: string | null;
  columns: Column[];
  rows: Record<string, unknown>[];
}

export type ExportFormat = 'csv' | 'xlsx';

const cellText = (v: unknown): string => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));

function csvField(v: unknown): string {
  const s = cellText(v);
  // A leading = + - @ would run as a formula in Excel: written as text.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d+([.,]\d+)?$/.test(s) ? `'${s}` : s;
  return /[;"\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(t: ExportTable): Buffer {
  const lines = [t.columns.map((c) => csvField(c.label)).join(';')];
  for (const r of t.rows) lines.push(t.columns.map((c) => csvField(r[c.key])).join(';'));
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}

export async function toXlsx(t: ExportTable): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Tiyuh Hub';
  const ws = wb.addWorksheet(t.name.slice(0, 31));
  ws.addRow([`Per ${t.asOf ?? '-'}`]);
  const header = ws.addRow(t.columns.map((c) => c.label));
  header.font = { bold: true };
  for (const r of t.rows) {
    ws.addRow(t.columns.map((c) => {
      const v = r[c.key];
      return typeof v === 'number' || v === null || v === undefined ? v ?? null : cellText(v);
    }));
  }
  ws.columns.forEach((col, i) => { col.width = Math.min(40, Math.max(10, (t.columns[i]?.label.length ?? 8) + 2)); });
  ws.views = [{ state: 'frozen', ySplit: 2 }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export async function exportTable(t: ExportTable, format: ExportFormat): Promise<{ body: Buffer; type: string; filename: string }> {
  const stamp = (t.asOf ?? new Date().toISOString()).slice(0, 10);
  return { body: format === 'csv' ? toCsv(t) : await toXlsx(t), type: CONTENT_TYPES[format], filename: `${t.name}-${stamp}.${format}` };
}
