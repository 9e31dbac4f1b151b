import { commonSettingsProperties, SyncError, type CommonSettings, type Connector } from './types.js';
import { jsonApiPage } from './opensidPenduduk.js';
import { authorizedGet, checkLogin, type LoginSpec } from './tokenSession.js';

export interface OpensidApiSettings extends CommonSettings { baseUrl: string; email: string; password: string; pageSize: number }

const loginSpec = (s: OpensidApiSettings): LoginSpec => ({
  url: `${s.baseUrl.replace(/\/$/, '')}/api/admin/login`, body: { email: s.email, password: s.password }, tokenPath: 'access_token', timeoutMs: s.timeoutMs,
});

/** OpenSID API of one village (JWT admin login): residents from GET /api/v1/admin/penduduk, pages of up to 100. */
export const opensidApiConnector: Connector<OpensidApiSettings> = {
  settingsSchema: {
    type: 'object',
    required: ['baseUrl', 'email', 'password'],
    additionalProperties: false,
    properties: {
      baseUrl: { type: 'string', pattern: '^https?://' },
      email: { type: 'string', minLength: 1 },
      password: { type: 'string', minLength: 1, writeOnly: true },
      pageSize: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
      ...commonSettingsProperties,
    },
  },
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
