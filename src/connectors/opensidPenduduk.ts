import type { ResidentInput } from '../pipeline/intake/residents.js';
import { SyncError, type Cursor, type Page } from './types.js';

type Attrs = Record<string, unknown>;
const obj = (v: unknown): Attrs => (v && typeof v === 'object' ? (v as Attrs) : {});

/**
 * One resident of OpenSID's PendudukTransformer (tweb_penduduk columns plus relations). The village
 * comes from `config.kode_desa` (Gabungan: many villages in one database) or the source's own village.
 * status_kawin may be the relation object {id, nama}: the intake reads its id.
 */
export function residentFromOpensid(item: { id?: unknown; attributes?: unknown }, fallbackVillage: string | null): ResidentInput {
  const a = obj(item.attributes);
  // Gabungan's relation is cluster_desa; the OpenSID API's PendudukTransformer names it tweb_wil_clusterdesa.
  const cluster = obj(a.cluster_desa ?? a.tweb_wil_clusterdesa);
  const keluarga = obj(a.keluarga);
  return {
    localId: String(a.id ?? item.id ?? ''),
    villageCode: String(obj(a.config).kode_desa ?? fallbackVillage ?? ''),
    nik: a.nik, kk: keluarga.no_kk ?? a.no_kk, fullName: a.nama, sex: a.sex, birthDate: a.tanggallahir,
    birthPlace: a.tempatlahir, religion: a.agama_id, maritalStatus: a.status_kawin, familyRole: a.kk_level,
    education: a.pendidikan_kk_id, occupation: a.pekerjaan_id, citizenship: a.warganegara_id,
    fatherName: a.nama_ayah, motherName: a.nama_ibu, address: a.alamat_sekarang ?? keluarga.alamat,
    dusun: cluster.dusun ?? a.dusun, rt: cluster.rt ?? a.rt, rw: cluster.rw ?? a.rw,
    statusDasar: a.status_dasar, sourceUpdatedAt: a.updated_at,
  };
}

/**
 * The items of one JSON:API page (`data[]`, `meta.pagination`), checked whole: a page shorter than
 * its own count, or short before the last page, was cut off and is fetched again rather than trusted.
 */
export function jsonApiItems(body: unknown, cursor: Cursor): { data: { id?: unknown; attributes?: unknown }[]; last: boolean; total: number; perPage: number } {
  const b = obj(body);
  const p = obj(obj(b.meta).pagination);
  if (!Array.isArray(b.data) || typeof p.total_pages !== 'number' || typeof p.current_page !== 'number') {
    throw new SyncError('PAGE_INVALID', 'the answer has no data[] or meta.pagination', true);
  }
  const data = b.data as { id?: unknown; attributes?: unknown }[];
  const perPage = Number(p.per_page);
  const last = p.current_page >= p.total_pages;
  if ((typeof p.count === 'number' && data.length !== p.count) || (!last && data.length < perPage)) {
    throw new SyncError('PAGE_TRUNCATED', `page ${cursor.page} holds ${data.length} of ${String(p.count ?? perPage)} records`, true);
  }
  if (p.current_page !== cursor.page) throw new SyncError('PAGE_INVALID', `asked for page ${cursor.page}, got ${p.current_page}`, true);
  return { data, last, total: typeof p.total === 'number' ? p.total : data.length, perPage };
}

/** The cursor after a JSON:API page: the next page of the same stream and pass, or none after the last. */
export function nextPage(cursor: Cursor, last: boolean): Cursor | null {
  return last ? null : { ...cursor, page: cursor.page + 1 };
}

/** One JSON:API page of residents, with what the run needs to check offset paging (total, item ids). */
export function jsonApiPage(body: unknown, cursor: Cursor, fallbackVillage: string | null): Page {
  const { data, last, total, perPage } = jsonApiItems(body, cursor);
  return {
    residents: data.map((d) => residentFromOpensid(d, fallbackVillage)),
    next: nextPage(cursor, last),
    listing: { total, perPage, keys: data.map((d) => String(d.id ?? obj(d.attributes).id ?? '')) },
  };
}
