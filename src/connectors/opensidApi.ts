import { SyncError, type Connector } from './types.js';
import { jsonApiPage } from './opensidPenduduk.js';
import { letterServiceMap, letterServicesSchema, permohonanPage, type LetterServices } from './opensidPermohonan.js';
import { authorizedGet, checkLogin } from './tokenSession.js';
import { passwordLogin, passwordLoginSchema, type PasswordLoginSettings } from './passwordLogin.js';

export interface OpensidApiSettings extends PasswordLoginSettings { letterServices: LetterServices }

const loginSpec = passwordLogin('/api/admin/login');
const base = passwordLoginSchema(100);

/**
 * OpenSID API of one village (JWT admin login): residents from GET /api/v1/admin/penduduk, then, when
 * `letterServices` maps any letter type, the citizens' letter requests (permohonan surat) from
 * GET /api/admin/surat/mandiri, both in pages of up to 100. The residents come first so a request's
 * applicant is found among them in the same run.
 */
export const opensidApiConnector: Connector<OpensidApiSettings> = {
  settingsSchema: { ...base, properties: { ...base.properties, letterServices: letterServicesSchema } },
  firstCursor: () => ({ page: 1 }),
  serviceCodes(settings) {
    const map = settings.letterServices;
    if (!map || typeof map !== 'object' || Array.isArray(map)) return [];
    return Object.entries(map as Record<string, unknown>).flatMap(([letter, code]) => (typeof code === 'string'
      ? [{ pointer: `/letterServices/${letter.replace(/~/g, '~0').replace(/\//g, '~1')}`, code }] : []));
  },
  async check(source, s, env) {
    await checkLogin(loginSpec(s), env.sessions);
    return { detail: 'signed in to the OpenSID API as admin' };
  },
  async fetchPage(source, s, cursor, env) {
    if (!source.villageCode) throw new SyncError('SOURCE_INVALID', 'an opensid-api source needs its villageCode', false);
    const q = new URLSearchParams({ 'page[number]': String(cursor.page), 'page[size]': String(s.pageSize), sort: 'id' });
    const root = s.baseUrl.replace(/\/$/, '');
    const services = letterServiceMap(s.letterServices);
    if (cursor.stream === 'permohonan') {
      return permohonanPage(await authorizedGet(`${root}/api/admin/surat/mandiri?${q}`, loginSpec(s), env.sessions), cursor, services);
    }
    const page = jsonApiPage(await authorizedGet(`${root}/api/v1/admin/penduduk?${q}`, loginSpec(s), env.sessions), cursor, source.villageCode);
    if (!page.next && services.size > 0) page.next = { page: 1, stream: 'permohonan' };
    return page;
  },
};
