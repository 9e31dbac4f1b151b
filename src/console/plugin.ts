/**
 * Konsol Petugas: the staff console, server-rendered from the hub's own fastify app at `/`. Pages
 * call the same domain functions as the JSON API; this file holds sessions, CSRF and the layout only.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppDeps } from '../api/app.js';
import { staffScope } from '../staff/users.js';
import { findSession } from '../staff/sessions.js';
import { Kit, PageError, SESSION_COOKIE } from './kit.js';
import { authPages } from './pages/auth.js';
import { homePage } from './pages/home.js';
import { reviewPages } from './pages/reviews.js';
import { citizenPages } from './pages/citizens.js';
import { quarantinePages } from './pages/quarantine.js';
import { agencyPages } from './pages/agency.js';
import { sourcePages } from './pages/sources.js';
import { adminPages } from './pages/admin.js';
import { statsPages } from './pages/stats.js';
import { BOARD_PATH, queueBoard } from './board.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATIC: Record<string, { type: string; body: Buffer }> = {
  'konsol.css': { type: 'text/css; charset=utf-8', body: readFileSync(path.join(here, 'static/konsol.css')) },
  'konsol.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(here, 'static/konsol.js')) },
};

export interface ConsoleOptions extends AppDeps {
  /** Templates read once and cached (the default); tests of template edits may turn it off. */
  production?: boolean;
}

export const consolePlugin: FastifyPluginAsync<ConsoleOptions> = async (app, deps) => {
  const kit = new Kit(deps.config);
  // Pages for people, not the JSON API: left out of the OpenAPI document.
  app.addHook('onRoute', (route) => { route.schema = { ...route.schema, hide: true }; });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 256 * 1024 });
  // Double-submit: the secret in its own HttpOnly cookie, the token in every form's _csrf field.
  await app.register(fastifyCsrf, { cookieKey: 'tiyuh_csrf', cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto' } });
  app.decorateRequest('staff', null);
  app.addHook('onRequest', async (req) => {
    const token = req.cookies[SESSION_COOKIE];
    if (!token) return;
    const session = await findSession(deps.db, token);
    if (!session) return;
    req.staff = {
      token, sessionId: session.id, user: session.user, scope: staffScope(session.user),
      actor: { actor: `staf:${session.user.username}`, userId: session.user.id },
    };
  });
  // The pages with their own view engine, CSP and error pages; the queue board beside them with its
  // own (it brings its own view engine and React bundle), both under the session hook above.
  await app.register(async (pages) => {
    await pages.register(fastifyView, {
      engine: { eta: new Eta({ views: path.join(here, 'views'), cache: deps.production ?? true, autoEscape: true }) },
      root: path.join(here, 'views'),
      viewExt: 'eta',
    });

    pages.addHook('onSend', async (_req, reply, payload) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
        reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'same-origin');
        // Pages show personal data: never kept in a shared computer's cache.
        reply.header('cache-control', 'no-store');
        // The page's time in the hub, for the browser's devtools and the screenshots command.
        reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(1)}`);
      }
      return payload;
    });

    pages.setErrorHandler(async (err: FastifyError, req, reply) => {
      let status = 500;
      let text = 'Terjadi kesalahan di server. Coba lagi; bila berulang, hubungi admin kabupaten.';
      if (err instanceof PageError) ({ status, text } = err);
      else if (err.code?.startsWith('FST_CSRF')) {
        status = 403;
        text = 'Formulir ini sudah kedaluwarsa atau tidak sah (token keamanan tidak cocok). Muat ulang halaman lalu kirim lagi.';
      } else if (err.validation || err.statusCode === 400) {
        status = 400;
        text = 'Isian tidak dapat dibaca. Periksa kembali lalu kirim lagi.';
      } else if (err.statusCode === 413) {
        status = 413;
        text = 'Isian terlalu besar.';
      } else req.log.error({ err }, 'console page failed');
      return reply.code(status).view('error', kit.view(req, reply, status === 404 ? 'Tidak ditemukan' : 'Tidak dapat diproses', { status, message: text }));
    });

    pages.get<{ Params: { file: string } }>('/static/:file', async (req, reply) => {
      const f = STATIC[req.params.file];
      if (!f) throw new PageError(404, 'Berkas tidak ada.');
      return reply.type(f.type).header('cache-control', 'public, max-age=3600').send(f.body);
    });

    await authPages(pages, deps, kit);
    await homePage(pages, deps, kit);
    await reviewPages(pages, deps, kit);
    await citizenPages(pages, deps, kit);
    await quarantinePages(pages, deps, kit);
    await agencyPages(pages, deps, kit);
    await sourcePages(pages, deps, kit);
    await adminPages(pages, deps, kit);
    await statsPages(pages, deps, kit);
  });
  await app.register(queueBoard, { ...deps, prefix: BOARD_PATH });
};
