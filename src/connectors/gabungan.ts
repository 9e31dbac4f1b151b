import type { Connector } from './types.js';
import { jsonApiPage } from './opensidPenduduk.js';
import { authorizedGet, checkLogin } from './tokenSession.js';
import { passwordLogin, passwordLoginSchema, type PasswordLoginSettings } from './passwordLogin.js';

export type GabunganSettings = PasswordLoginSettings;

const loginSpec = passwordLogin('/api/v1/signin');

/**
 * OpenSID Database Gabungan (kabupaten-wide): Sanctum bearer from POST /api/v1/signin, residents from
 * GET /api/v1/penduduk in JSON:API pages of up to 500, narrowed to the source's village or kecamatan.
 */
export const gabunganConnector: Connector<GabunganSettings> = {
  settingsSchema: passwordLoginSchema(500),
  firstCursor: () => ({ page: 1 }),
  async check(source, s, env) {
    await checkLogin(loginSpec(s), env.sessions);
    return { detail: 'signed in to the Database Gabungan API' };
  },
  async fetchPage(source, s, cursor, env) {
    const q = new URLSearchParams({ 'page[number]': String(cursor.page), 'page[size]': String(s.pageSize), sort: 'id' });
    if (source.villageCode) q.set('config_desa', source.villageCode);
    else if (source.kecamatanCode) q.set('kode_kecamatan', source.kecamatanCode);
    const body = await authorizedGet(`${s.baseUrl.replace(/\/$/, '')}/api/v1/penduduk?${q}`, loginSpec(s), env.sessions);
    return jsonApiPage(body, cursor, source.villageCode);
  },
};
