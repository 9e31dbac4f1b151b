import type { Connector, SourceRow } from './types.js';
import { jsonApiItems, jsonApiPage } from './opensidPenduduk.js';
import { authorizedGet, checkLogin } from './tokenSession.js';
import { passwordLogin, passwordLoginSchema, type PasswordLoginSettings } from './passwordLogin.js';

/**
 * The sorts the server's PendudukRepository::listPenduduk allows (spatie query builder answers 400 to
 * any other), less `umur`: no such column, the appended attribute cannot be sorted on in SQL. None is
 * unique, so the run checks its rows against the server's total (docs/protocols/opensid-gabungan.md).
 */
export const GABUNGAN_SORTS = ['nik', 'nama', 'created_at', 'tag_id_card', 'none'] as const;

export interface GabunganSettings extends PasswordLoginSettings { email: string; sort: (typeof GABUNGAN_SORTS)[number] }

const base = passwordLoginSchema(500, { email: { type: 'string', minLength: 1 } }, ['email']);

/** How the hub logs in to the Database Gabungan with a source's settings. */
export const gabunganLogin = (s: GabunganSettings) => passwordLogin(s, {
  path: '/api/v1/signin', fields: { email: s.email }, user: s.email.toLowerCase(), tokenPath: 'access_token',
  // AuthController: MAX_ATTEMPT 5, DECAY_SECOND 600, keyed by our address.
  lockout: { attempts: 5, windowMs: 600_000 },
});

/**
 * The source's region as the server's bound filters read it: `filter[kode_desa]` and
 * `filter[kode_kecamatan]` compare with config.kode_desa (varchar 10) and config.kode_kecamatan
 * (varchar 6), which hold the codes without dots. Never the plain `config_desa` (a config row id) or
 * `kode_kecamatan` (pasted into SQL unquoted).
 */
export function regionFilter(source: Pick<SourceRow, 'villageCode' | 'kecamatanCode'>): [string, string] | null {
  if (source.villageCode) return ['filter[kode_desa]', source.villageCode.replace(/\D/g, '')];
  if (source.kecamatanCode) return ['filter[kode_kecamatan]', source.kecamatanCode.replace(/\D/g, '')];
  return null;
}

function listingUrl(source: SourceRow, s: GabunganSettings, page: number, size: number): string {
  const q = new URLSearchParams();
  const filter = regionFilter(source);
  if (filter) q.set(...filter);
  if (s.sort !== 'none') q.set('sort', s.sort);
  q.set('page[number]', String(page));
  q.set('page[size]', String(size));
  return `${s.baseUrl.replace(/\/$/, '')}/api/v1/penduduk?${q}`;
}

/**
 * OpenSID Database Gabungan (kabupaten-wide, many villages in one database): Sanctum bearer from
 * POST /api/v1/signin, residents from GET /api/v1/penduduk in JSON:API pages of up to 500, narrowed to
 * the source's village or kecamatan, sorted by NIK.
 */
export const gabunganConnector: Connector<GabunganSettings> = {
  settingsSchema: { ...base, properties: { ...base.properties, sort: { enum: GABUNGAN_SORTS, default: 'nik' } } },
  firstCursor: () => ({ page: 1 }),
  async check(source, s, env) {
    await checkLogin(gabunganLogin(s), env);
    // The listing exactly as a run asks for it, one row: a refused sort or filter shows here, not at 02:00.
    const { total } = jsonApiItems(await authorizedGet(listingUrl(source, s, 1, 1), gabunganLogin(s), env), { page: 1 });
    const filter = regionFilter(source);
    return { detail: `signed in to the Database Gabungan API; the listing${filter ? ` for ${filter[0]}=${filter[1]}` : ''} counts ${total} residents` };
  },
  async fetchPage(source, s, cursor, env) {
    return jsonApiPage(await authorizedGet(listingUrl(source, s, cursor.page, s.pageSize), gabunganLogin(s), env), cursor, source.villageCode);
  },
};
