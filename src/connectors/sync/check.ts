import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { PULL_CONNECTORS } from '../registry.js';
import { sessionStoreFor } from '../sessions.js';
import { requestBudgetFor } from '../requestBudget.js';
import { checkedSettings } from '../settings.js';
import { SyncError, type CommonSettings, type SourceRow } from '../types.js';

export type SourceCheck =
  | { status: 'unknown' }
  | { status: 'not-pull' }
  | { status: 'checked'; ok: true; detail: string }
  | { status: 'checked'; ok: false; code: string; detail: string };

/** What a failed check means, for village and kecamatan staff. */
const MEANING: Record<string, string> = {
  LOGIN_REJECTED: 'Login ke server desa ditolak; periksa email dan kata sandi pada pengaturan sumber data ini.',
  LOGIN_PAUSED: 'Login ke server desa sudah berulang kali ditolak (tiga kali untuk akun ini, atau empat kali untuk akun mana pun di server ini); hub menunggu agar server tidak memblokir alamat hub (diblokir pada penolakan kelima, untuk semua akun). Periksa kata sandi, lalu coba lagi setelah jendela waktu server berlalu (Database Gabungan 10 menit, API OpenSID 60 menit).',
  LOGIN_LOCKED: 'Server desa sedang memblokir login dari alamat hub (lima kali gagal login). Hub tidak mencoba lagi sampai blokir berakhir.',
  RATE_BUDGET: 'Batas 60 permintaan per menit untuk akun ini sedang habis dipakai sumber lain; sinkronisasi dilanjutkan kemudian.',
  BUDGET_UNAVAILABLE: 'Hub tidak dapat membaca kuota permintaan di Redis.',
  UNAUTHORIZED: 'Server desa menolak token yang baru diterbitkan.',
  NETWORK: 'Server desa tidak dapat dihubungi (jaringan atau alamat salah).',
  TIMEOUT: 'Server desa tidak menjawab dalam batas waktu.',
  SERVER_ERROR: 'Server desa sedang bermasalah (galat 5xx).',
  RATE_LIMITED: 'Server desa membatasi jumlah permintaan; coba lagi nanti.',
  MALFORMED_JSON: 'Jawaban server desa bukan JSON yang utuh.',
  NOT_FOUND: 'Alamat API tidak ditemukan di server desa; periksa baseUrl.',
  HTTP_ERROR: 'Server desa menjawab dengan galat.',
  SETTINGS_INVALID: 'Pengaturan sumber data tidak sah.',
};

export function checkMeaning(code: string): string {
  return MEANING[code] ?? 'Pemeriksaan sumber data gagal.';
}

/**
 * Can the hub reach the source's server and log in: the connector's own check, with the settings
 * checked first. Works on a disabled source too (that is when an operator wants to know). Audited with
 * the outcome; credentials and tokens never leave the connector.
 */
export async function checkSource(ctx: PipelineContext, sourceId: string, actor: string): Promise<SourceCheck> {
  const [source] = await rows<SourceRow>(ctx.db, sql`
    select id, village_code as "villageCode", kecamatan_code as "kecamatanCode", connector, enabled, settings from sources where id = ${sourceId}`);
  if (!source) return { status: 'unknown' };
  const connector = PULL_CONNECTORS[source.connector];
  if (!connector) return { status: 'not-pull' };
  let answer: SourceCheck;
  try {
    const settings = checkedSettings<CommonSettings>(connector.settingsSchema, source.settings);
    const { detail } = await connector.check(source, settings, { sessions: sessionStoreFor(ctx.db), budget: requestBudgetFor(ctx.queues) });
    answer = { status: 'checked', ok: true, detail };
  } catch (err) {
    const e = err instanceof SyncError ? err : new SyncError('INTERNAL', (err as Error).message, false);
    answer = { status: 'checked', ok: false, code: e.code, detail: e.message.replace(`${e.code}: `, '') };
  }
  await ctx.db.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
    values (${actor}, 'source.check', 'sources', ${source.id}, ${source.kecamatanCode ?? source.villageCode},
            ${JSON.stringify(answer.status === 'checked' && !answer.ok ? { ok: false, code: answer.code } : { ok: true })}::jsonb)`);
  return answer;
}
