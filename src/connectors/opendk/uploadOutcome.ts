import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import type { PipelineContext } from '../../pipeline/context.js';

/**
 * What became of one "Kirim ke OpenDK" population upload, kept until the deletions call that OpenSID
 * sends right after it: OpenSID shows its admin only that second answer (Sinkronisasi::
 * sinkronisasi_data_penduduk), so the upload's outcome has to travel in it.
 */
export interface UploadOutcome {
  /** False when the file was refused whole: nothing of it was stored. */
  accepted: boolean;
  rows?: number;
  created?: number;
  updated?: number;
  unchanged?: number;
  quarantined?: number;
  /** The first problems, in Indonesian words, for the admin (row number and village resident id, no personal data). */
  problems?: string[];
  /** Problems beyond those listed. */
  moreProblems?: number;
  /** Why the file was refused (Indonesian), and its stable code. */
  reason?: string;
  code?: string;
}

/** OpenSID sends the deletions call as soon as the upload has been answered; an older outcome belongs to another sync. */
const CARRY_WINDOW_MINUTES = 30;

export async function recordUpload(ctx: PipelineContext, u: { apiKeyId: number; villageCode: string | null; inboxId: number | null; outcome: UploadOutcome }): Promise<void> {
  await ctx.db.execute(sql`insert into opendk_uploads (api_key_id, village_code, inbox_id, outcome)
    values (${u.apiKeyId}, ${u.villageCode}, ${u.inboxId}, ${JSON.stringify(u.outcome)}::jsonb)`);
  await ctx.db.execute(sql`delete from opendk_uploads where api_key_id = ${u.apiKeyId} and created_at < now() - interval '7 days'`);
}

/**
 * The latest upload outcome of this token not yet carried by a deletions answer, for one of the named
 * villages (any village of the token when the deletions list is empty, as it is when nothing was deleted).
 * It is marked carried, so the next sync's answer speaks of its own upload only.
 */
export async function takeUploadOutcome(ctx: PipelineContext, apiKeyId: number, villages: string[]): Promise<{ villageCode: string | null; outcome: UploadOutcome } | null> {
  const named = villages.length ? sql`and (village_code is null or village_code = any(${arrayParam(villages, 'text')}))` : sql``;
  const [row] = await rows<{ village_code: string | null; outcome: UploadOutcome }>(ctx.db, sql`
    update opendk_uploads set reported_at = now() where id = (
      select id from opendk_uploads
      where api_key_id = ${apiKeyId} and reported_at is null
        and created_at > now() - make_interval(mins => ${CARRY_WINDOW_MINUTES}) ${named}
      order by id desc limit 1 for update skip locked)
    returning village_code, outcome`);
  return row ? { villageCode: row.village_code, outcome: row.outcome } : null;
}

/** How many problems the admin's screen lists; the rest are in the hub's quarantine. */
export const SHOWN_PROBLEMS = 5;

export interface DeletionCounts { deleted: number; unknown: number }

/**
 * The answer to OpenSID's deletions call: its own counts, and the upload's outcome before them. Status
 * `danger` (red on OpenSID's screen) whenever the hub did not take all that OpenSID sent; `success` only
 * when it did. OpenSID shows `message` alone, so everything the admin needs is in it.
 */
export function deletionsAnswer(upload: UploadOutcome | null, d: DeletionCounts): { status: 'success' | 'danger'; message: string } {
  const deletions = `Penghapusan: ${d.deleted} penduduk ditandai terhapus${d.unknown ? `, ${d.unknown} sudah terhapus sebelumnya atau tidak dikenal` : ''}.`;
  if (!upload) {
    return {
      status: 'danger',
      message: `Tiyuh Hub tidak menerima berkas Data Penduduk dari OpenSID dalam ${CARRY_WINDOW_MINUTES} menit terakhir (unggahan gagal atau tidak sampai); periksa alamat server dan ukuran berkas (paling besar 5 MB), lalu kirim ulang. ${deletions}`,
    };
  }
  if (!upload.accepted) {
    return {
      status: 'danger',
      message: `Berkas Data Penduduk DITOLAK Tiyuh Hub; tidak ada data penduduk yang disimpan. Alasan: ${upload.reason ?? 'tidak diketahui'} ${deletions}`,
    };
  }
  const counts = `${upload.created} baru, ${upload.updated} berubah, ${upload.unchanged} tetap`;
  if (upload.quarantined) {
    const accepted = (upload.rows ?? 0) - upload.quarantined;
    const list = (upload.problems ?? []).join(' ');
    const more = upload.moreProblems ? ` Ditambah ${upload.moreProblems} baris bermasalah lain (daftar lengkap di karantina Tiyuh Hub).` : '';
    return {
      status: 'danger',
      message: `Tiyuh Hub TIDAK menerima ${upload.quarantined} dari ${upload.rows} baris Data Penduduk (dikarantina); ${accepted} baris diterima (${counts}). `
        + `Perbaiki data berikut di OpenSID lalu kirim ulang: ${list}${more} ${deletions}`,
    };
  }
  return { status: 'success', message: `Data Penduduk diterima Tiyuh Hub: ${upload.rows} baris (${counts}). ${deletions}` };
}
