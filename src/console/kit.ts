/** What every console page shares: the signed-in staff member, the layout's data, refusals as pages. */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Scope } from '../access/scope.js';
import type { HubConfig } from '../config/load.js';
import { ROLE_NAMES, staffScope, type StaffRole, type StaffUser } from '../staff/users.js';
import { dottedRegion } from '../config/regionCode.js';
import * as format from './format.js';

export interface Staff {
  token: string;
  sessionId: string;
  user: StaffUser;
  scope: Scope;
  /** Written to the audit log with every read of personal data and every decision. */
  actor: { actor: string; userId: number };
}

declare module 'fastify' {
  interface FastifyRequest { staff: Staff | null }
}

export const SESSION_COOKIE = 'tiyuh_sesi';

/** A refusal shown as a page in Indonesian (the console's counterpart of problem+json). */
export class PageError extends Error {
  constructor(readonly status: number, readonly text: string) { super(text); }
}

export const notFoundPage = (what: string) => new PageError(404, `${what} tidak ditemukan atau di luar wilayah Anda.`);

const NAV: Array<{ href: string; label: string; roles: StaffRole[] }> = [
  { href: '/', label: 'Beranda', roles: ['admin', 'kecamatan', 'instansi', 'tiyuh'] },
  { href: '/kasus', label: 'Kasus tinjauan', roles: ['admin', 'kecamatan'] },
  { href: '/statistik', label: 'Statistik', roles: ['admin', 'kecamatan', 'tiyuh'] },
  { href: '/warga', label: 'Warga', roles: ['admin', 'kecamatan', 'tiyuh'] },
  { href: '/karantina', label: 'Karantina', roles: ['admin', 'kecamatan', 'tiyuh'] },
  { href: '/sumber', label: 'Sumber data', roles: ['admin', 'kecamatan'] },
  { href: '/antrean', label: 'Antrean instansi', roles: ['admin', 'instansi'] },
  { href: '/pengguna', label: 'Pengguna & kunci', roles: ['admin'] },
  { href: '/audit', label: 'Audit', roles: ['admin', 'kecamatan'] },
  { href: '/pipeline', label: 'Pipeline', roles: ['admin'] },
];

export function scopeText(u: StaffUser, config: HubConfig): string {
  if (u.role === 'admin') return 'Kabupaten Tulang Bawang Barat';
  const region = u.villageCode ?? u.kecamatanCode;
  const place = region ? format.wilayah(config, region) : 'seluruh kabupaten';
  if (u.role === 'instansi') return `${config.agencies.get(u.agencyCode ?? '')?.shortName ?? u.agencyCode} · ${place}`;
  return place;
}

export class Kit {
  constructor(readonly config: HubConfig) {}

  /** The layout's data around a page's own. */
  view(req: FastifyRequest, reply: FastifyReply, title: string, data: Record<string, unknown> = {}) {
    const user = req.staff?.user ?? null;
    const path = req.url.split('?')[0]!;
    const nav = user ? NAV.filter((n) => n.roles.includes(user.role)).map((n) => ({
      ...n, current: n.href === '/' ? path === '/' : path === n.href || path.startsWith(`${n.href}/`),
    })) : [];
    return {
      title, user, nav, f: format, config: this.config, dotted: dottedRegion,
      roleText: user ? `${ROLE_NAMES[user.role]} · ${scopeText(user, this.config)}` : '',
      csrf: reply.generateCsrf(),
      notice: null, error: null,
      ...data,
    };
  }

  staff(req: FastifyRequest): Staff {
    if (!req.staff) throw new PageError(401, 'Silakan masuk dulu.');
    return req.staff;
  }

  /** Admits a signed-in staff member of one of the roles; others see a refusal, not the page. */
  guard(roles: StaffRole[]): preHandlerAsyncHookHandler {
    return async (req, reply) => {
      if (!req.staff) {
        const next = req.method === 'GET' ? `?lanjut=${encodeURIComponent(req.url)}` : '';
        return reply.redirect(`/masuk${next}`, 303);
      }
      if (req.staff.user.mustChangePassword && !req.url.startsWith('/kata-sandi')) return reply.redirect('/kata-sandi', 303);
      if (!roles.includes(req.staff.user.role)) throw new PageError(403, 'Halaman ini bukan untuk peran Anda.');
    };
  }
}

export const scopeOfUser = staffScope;
