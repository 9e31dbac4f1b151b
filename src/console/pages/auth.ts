import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { endSession, login } from '../../staff/sessions.js';
import { changeOwnPassword } from '../../staff/users.js';
import { writeAudit } from '../../audit/log.js';
import { tanggalJam } from '../format.js';
import { type Kit, SESSION_COOKIE } from '../kit.js';

/** Only a path of this site: a login link must not send anyone elsewhere. */
const safeNext = (raw: unknown) => (typeof raw === 'string' && /^\/(?![/\\])[^\s]*$/.test(raw) && !raw.startsWith('/masuk') ? raw : '/');

const COOKIE_OPTS = { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto' } as const;

export function renderLogin(kit: Kit, req: FastifyRequest, reply: FastifyReply, data: { error?: string; username?: string; next?: string; notice?: string } = {}) {
  return reply.view('login', kit.view(req, reply, 'Masuk', { username: data.username ?? '', next: data.next ?? '/', error: data.error ?? null, notice: data.notice ?? null }));
}

export async function authPages(app: FastifyInstance, deps: AppDeps, kit: Kit) {
  const { db } = deps;

  app.get<{ Querystring: { lanjut?: string; pesan?: string } }>('/masuk', async (req, reply) => {
    if (req.staff) return reply.redirect(safeNext(req.query.lanjut), 303);
    const notice = req.query.pesan === 'keluar' ? 'Anda sudah keluar.' : req.query.pesan === 'sandi' ? 'Kata sandi baru tersimpan. Silakan masuk lagi.' : undefined;
    return renderLogin(kit, req, reply, { next: safeNext(req.query.lanjut), notice });
  });

  app.post<{ Body: { username?: string; password?: string; lanjut?: string } }>('/masuk', { preHandler: app.csrfProtection }, async (req, reply) => {
    const username = String(req.body?.username ?? '').slice(0, 64);
    const password = String(req.body?.password ?? '');
    const next = safeNext(req.body?.lanjut);
    if (!username || !password) return renderLogin(kit, req, reply.code(400), { error: 'Isi nama pengguna dan kata sandi.', username, next });
    const r = await login(db, username, password, req.ip);
    if (r.status === 'ok') {
      reply.setCookie(SESSION_COOKIE, r.token, COOKIE_OPTS);
      return reply.redirect(r.user.mustChangePassword ? '/kata-sandi' : next, 303);
    }
    let error: string;
    if (r.status === 'locked') {
      const until = tanggalJam(r.until);
      error = r.by === 'account'
        ? `Akun ini dikunci sementara karena kata sandi salah berulang kali. Coba lagi setelah ${until} WIB, atau minta admin kabupaten mengatur ulang kata sandi Anda.`
        : `Terlalu banyak percobaan masuk yang gagal dari perangkat/jaringan ini. Coba lagi setelah ${until} WIB.`;
      reply.code(429);
    } else if (r.status === 'disabled') {
      error = 'Akun ini sudah dinonaktifkan. Hubungi admin kabupaten.';
      reply.code(403);
    } else {
      error = `Nama pengguna atau kata sandi salah.${r.remaining !== null && r.remaining <= 2 ? ` Sisa ${r.remaining} kali percobaan sebelum akun dikunci sementara.` : ''}`;
      reply.code(401);
    }
    return renderLogin(kit, req, reply, { error, username, next });
  });

  app.post('/keluar', { preHandler: app.csrfProtection }, async (req, reply) => {
    if (req.staff) {
      await endSession(db, req.staff.token);
      await writeAudit(db, { ...req.staff.actor, action: 'logout', targetType: 'staff_users', targetId: String(req.staff.user.id), regionCode: null });
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/masuk?pesan=keluar', 303);
  });

  app.get('/kata-sandi', { preHandler: kit.guard(['admin', 'kecamatan', 'instansi', 'tiyuh']) }, async (req, reply) =>
    reply.view('password', kit.view(req, reply, 'Ganti kata sandi', { forced: req.staff!.user.mustChangePassword })));

  app.post<{ Body: { current?: string; password?: string; confirm?: string } }>('/kata-sandi', {
    preHandler: [app.csrfProtection, kit.guard(['admin', 'kecamatan', 'instansi', 'tiyuh'])],
  }, async (req, reply) => {
    const staff = kit.staff(req);
    const problem = await changeOwnPassword(db, staff.user, {
      current: String(req.body?.current ?? ''), password: String(req.body?.password ?? ''), confirm: String(req.body?.confirm ?? ''),
    }, staff.sessionId);
    if (problem) return reply.code(400).view('password', kit.view(req, reply, 'Ganti kata sandi', { forced: staff.user.mustChangePassword, error: problem }));
    return reply.redirect('/?pesan=sandi', 303);
  });
}
