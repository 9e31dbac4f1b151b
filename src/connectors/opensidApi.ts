import { SyncError, type Connector } from './types.js';
import { jsonApiPage } from './opensidPenduduk.js';
import { authorizedGet, checkLogin } from './tokenSession.js';
import { passwordLogin, passwordLoginSchema, type PasswordLoginSettings } from './passwordLogin.js';

export type OpensidApiSettings = PasswordLoginSettings;

const loginSpec = passwordLogin('/api/admin/login');

/** OpenSID API of one village (JWT admin login): residents from GET /api/v1/admin/penduduk, pages of up to 100. */
export const opensidApiConnector: Connector<OpensidApiSettings> = {
  settingsSchema: passwordLoginSchema(100),
  firstCursor: () => ({ page: 1 }),
  async check(source, s) {
    await checkLogin(source, loginSpec(s));
    return { detail: 'signed in to the OpenSID API as admin' };
  },
  async fetchPage(source, s, cursor) {
    if (!source.villageCode) throw new SyncError('SOURCE_INVALID', 'an opensid-api source needs its villageCode', false);
    const q = new URLSearchParams({ 'page[number]': String(cursor.page), 'page[size]': String(s.pageSize), sort: 'id' });
    const body = await authorizedGet(source, `${s.baseUrl.replace(/\/$/, '')}/api/v1/admin/penduduk?${q}`, loginSpec(s));
    return jsonApiPage(body, cursor, source.villageCode);
  },
};
