import { commonSettingsProperties, type CommonSettings, type Connector } from './types.js';
import { jsonApiPage } from './opensidPenduduk.js';
import { authorizedGet, checkLogin, type LoginSpec } from './tokenSession.js';

export interface GabunganSettings extends CommonSettings { baseUrl: string; email: string; password: string; pageSize: number }

const loginSpec = (s: GabunganSettings): LoginSpec => ({
  url: `${s.baseUrl.replace(/\/$/, '')}/api/v1/signin`, body: { email: s.email, password: s.password }, tokenPath: 'access_token', timeoutMs: s.timeoutMs,
});

/**
 * OpenSID Database Gabungan (kabupaten-wide): Sanctum bearer from POST /api/v1/signin, residents from
 * GET /api/v1/penduduk in JSON:API pages of up to 500, narrowed to the source's village or kecamatan.
 */
export const gabunganConnector: Connector<GabunganSettings> = {
  settingsSchema: {
    type: 'object',
    required: ['baseUrl', 'email', 'password'],
    additionalProperties: false,
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      email: { type: 'string', minLength: 1 },
      password: { type: 'string', minLength: 1, writeOnly: true },
      pageSize: { type: 'integer', minimum: 1, maximum: 500, default: 500 },
      ...commonSettingsProperties,
    },
  },
  firstCursor: () => ({ page: 1 }),
  async check(source, s) {
    await checkLogin(source, loginSpec(s));
    return { detail: 'signed in to the Database Gabungan API' };
  },
  async fetchPage(source, s, cursor) {
    const q = new URLSearchParams({ 'page[number]': String(cursor.page), 'page[size]': String(s.pageSize), sort: 'id' });
    if (source.villageCode) q.set('config_desa', source.villageCode);
    else if (source.kecamatanCode) q.set('kode_kecamatan', source.kecamatanCode);
    const body = await authorizedGet(source, `${s.baseUrl.replace(/\/$/, '')}/api/v1/penduduk?${q}`, loginSpec(s));
    return jsonApiPage(body, cursor, source.villageCode);
  },
};
