import { SyncError, type Connector } from './types.js';
import { jsonApiItems, jsonApiPage } from './opensidPenduduk.js';
import { letterServiceMap, letterServicesSchema, permohonanPage, type LetterServices } from './opensidPermohonan.js';
import { authorizedGet, checkLogin } from './tokenSession.js';
import { passwordLogin, passwordLoginSchema, type PasswordLoginSettings } from './passwordLogin.js';

export interface OpensidApiSettings extends PasswordLoginSettings { username?: string; email?: string; residents: boolean; letterServices: LetterServices }

const base = passwordLoginSchema(100, {
  username: { type: 'string', minLength: 1, description: 'The OpenSID admin user name (AdminAuthController::login validates username)' },
  email: { type: 'string', minLength: 1, description: 'Older configs: read as the user name' },
}, []);

const loginName = (s: OpensidApiSettings) => s.username ?? s.email ?? '';

const loginSpec = (s: OpensidApiSettings) => passwordLogin(s, {
  // Answers {success, data: {...user, token}, message}; the token is a JWT of the `admin` guard.
  path: '/api/admin/login', fields: { username: loginName(s) }, user: loginName(s).toLowerCase(), tokenPath: 'data.token',
  // AdminAuthController: MAX_ATTEMPT 5, DECAY_SECOND 3600, keyed by our address.
  lockout: { attempts: 5, windowMs: 3_600_000 },
});

/**
 * OpenSID API of one village (premium "Layanan Desa" API, JWT admin login): the citizens' letter
 * requests (permohonan surat) from GET /api/admin/surat/mandiri, their applicants resolved against the
 * residents the hub holds for the village (Database Gabungan, OpenDK push, files); with `residents`,
 * first the village's residents from GET /api/v1/admin/penduduk, whose PendudukTransformer gives five
 * fields only. Pages of up to 100. The residents listing allows only `sort=nama` and orders by nama
 * anyway, so it is asked without a sort; the letter requests are sorted by id (allowed: id, created_at).
 */
export const opensidApiConnector: Connector<OpensidApiSettings> = {
  settingsSchema: {
    ...base,
    anyOf: [{ required: ['username'] }, { required: ['email'] }],
    properties: {
      ...base.properties,
      letterServices: letterServicesSchema,
      residents: {
        type: 'boolean', default: false,
        description: 'Also pull the residents listing. It holds five fields (id, nik, nama, alamat_sekarang, dusun/rw/rt), and a pulled record replaces the one another channel delivered for the same resident: only for a village no other channel covers',
      },
    },
  },
  firstCursor: (s) => (s.residents ? { page: 1 } : { page: 1, stream: 'permohonan' }),
  serviceCodes(settings) {
    const map = settings.letterServices;
    if (!map || typeof map !== 'object' || Array.isArray(map)) return [];
    return Object.entries(map as Record<string, unknown>).flatMap(([letter, code]) => (typeof code === 'string'
      ? [{ pointer: `/letterServices/${letter.replace(/~/g, '~0').replace(/\//g, '~1')}`, code }] : []));
  },
  async check(source, s, env) {
    await checkLogin(loginSpec(s), env);
    const root = s.baseUrl.replace(/\/$/, '');
    const { total } = jsonApiItems(await authorizedGet(`${root}/api/v1/admin/penduduk?page[number]=1&page[size]=1`, loginSpec(s), env), { page: 1 });
    return { detail: `signed in to the OpenSID API as admin; the village lists ${total} residents` };
  },
  async fetchPage(source, s, cursor, env) {
    if (!source.villageCode) throw new SyncError('SOURCE_INVALID', 'an opensid-api source needs its villageCode', false);
    const q = new URLSearchParams({ 'page[number]': String(cursor.page), 'page[size]': String(s.pageSize) });
    const root = s.baseUrl.replace(/\/$/, '');
    const services = letterServiceMap(s.letterServices);
    if (cursor.stream === 'permohonan') {
      if (services.size === 0) return { residents: [], registrations: [], next: null };
      q.set('sort', 'id');
      return permohonanPage(await authorizedGet(`${root}/api/admin/surat/mandiri?${q}`, loginSpec(s), env), cursor, services);
    }
    const page = jsonApiPage(await authorizedGet(`${root}/api/v1/admin/penduduk?${q}`, loginSpec(s), env), cursor, source.villageCode);
    if (!page.next && services.size > 0) page.next = { page: 1, stream: 'permohonan' };
    return page;
  },
};
