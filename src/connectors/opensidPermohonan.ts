import { jsonApiItems, nextPage } from './opensidPenduduk.js';
import type { Cursor, Page, PulledRegistration } from './types.js';

type Attrs = Record<string, unknown>;
const obj = (v: unknown): Attrs => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Attrs) : {});
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null);

/** Letter slugs (`surat_ket_kurang_mampu`), codes (`S-11`) and names compare without case, spaces, `_` or `-`. */
export function letterKey(value: string): string {
  return value.toLowerCase().replace(/[\s_-]+/g, ' ').trim();
}

/** The `letterServices` setting: letter slug, kode_surat or name → catalogue service code. */
export const letterServicesSchema = {
  type: 'object',
  additionalProperties: { type: 'string', minLength: 1, maxLength: 48 },
  propertyNames: { minLength: 1, maxLength: 200 },
  default: {},
  description: 'Letter types (url_surat slug, kode_surat or name) whose requests become registrations, each with its service code',
} as const;

export type LetterServices = Record<string, string>;

/**
 * Whether a request was cancelled. The listing answers the status as its label; versions differ in
 * the numbers (current 5 Dibatalkan; the 2021 API 9), and no other number means cancelled in either.
 */
function isCancelled(status: unknown): boolean {
  if (typeof status === 'string' && !/^\d+$/.test(status.trim())) return letterKey(status) === 'dibatalkan';
  const n = Number(status);
  return n === 5 || n === 9;
}

/** OpenSID writes Asia/Jakarta wall time without a zone ("2026-11-02 09:15:00"); Laravel's JSON is ISO with Z. */
function submittedAt(value: unknown): string | null {
  const s = text(value);
  if (!s) return null;
  const local = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(s);
  if (local) return `${local[1]}T${local[2]}+07:00`;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * One item of the OpenSID API's admin listing of self-service letter requests (permohonan_surat,
 * `GET /api/admin/surat/mandiri`, PermohonanMandiriTransformer: id, nama_penduduk, nik, nama_surat,
 * status label, tanggal). Fields other versions add (url_surat, kode_surat, id_pemohon, no_hp_aktif)
 * are used when present.
 */
export function permohonanFromOpensid(item: { id?: unknown; attributes?: unknown }, services: Map<string, string>): PulledRegistration {
  const a = obj(item.attributes);
  const format = obj(a.format_surat);
  const id = text(a.id ?? item.id);
  const names = [a.url_surat ?? format.url_surat, a.kode_surat ?? format.kode_surat, a.nama_surat ?? format.nama ?? a.jenis_surat]
    .map(text).filter((v): v is string => v !== null);
  const match = names.find((n) => services.has(letterKey(n)));
  return {
    externalId: id ? `permohonan-${id}` : '',
    serviceCode: match ? services.get(letterKey(match))! : null,
    letter: names.at(-1) ?? names[0] ?? '',
    cancelled: isCancelled(a.status_id ?? a.status),
    submittedAt: submittedAt(a.tanggal ?? a.tanggal_kirim ?? a.created_at),
    pemohon: { residentId: text(a.id_pemohon), nik: text(a.nik), name: text(a.nama_penduduk), phone: text(a.no_hp_aktif) },
    raw: item,
  };
}

/** The mapping with normalised keys. */
export function letterServiceMap(letterServices: LetterServices | undefined): Map<string, string> {
  return new Map(Object.entries(letterServices ?? {}).map(([k, v]) => [letterKey(k), v]));
}

/** One JSON:API page of letter requests; the cursor stays on the permohonan stream. */
export function permohonanPage(body: unknown, cursor: Cursor, services: Map<string, string>): Page {
  const { data, last } = jsonApiItems(body, cursor);
  return {
    residents: [],
    registrations: data.map((d) => permohonanFromOpensid(d, services)),
    next: nextPage({ ...cursor, stream: 'permohonan' }, last),
  };
}
