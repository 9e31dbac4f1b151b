import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { worklist } from '../../overview/worklist.js';
import type { Kit } from '../kit.js';
import { renderLogin } from './auth.js';

const NOTICES: Record<string, string> = { sandi: 'Kata sandi baru tersimpan.' };

export async function homePage(app: FastifyInstance, deps: AppDeps, kit: Kit) {
  // A browser without a session asking for the console gets the login form itself, not a redirect.
  app.get<{ Querystring: { pesan?: string } }>('/', async (req, reply) => {
    if (!req.staff) return renderLogin(kit, req, reply);
    if (req.staff.user.mustChangePassword) return reply.redirect('/kata-sandi', 303);
    const work = await worklist(deps.ctx, req.staff.scope);
    const ageOf = (d: Date | null) => (d ? (Date.now() - new Date(d).getTime()) / 1000 : null);
    return reply.view('home', kit.view(req, reply, 'Beranda', { work, ageOf, notice: NOTICES[req.query.pesan ?? ''] ?? null }));
  });
}
