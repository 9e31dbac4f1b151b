/**
 * The queues' own board (bull-board) for the kabupaten admin, beside the Pipeline page's figures. An
 * admin tool loaded on demand: its React bundle is not part of any console page's first load. It sits
 * under the console's session hook; admin only, checked here on every request, pages and API alike.
 */
import type { FastifyPluginAsync } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { AppDeps } from '../api/app.js';
import { STAGES } from '../pipeline/queues.js';
import { syncQueueOf } from '../connectors/sync/queue.js';

export const BOARD_PATH = '/pipeline/papan';

// Its React app sets inline styles and fetches its own API; no other origin (the template's web font is refused).
const BOARD_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'";

const refusal = (text: string) => `<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Ditolak</title></head><body><main><h1>Ditolak</h1><p>${text}</p><p><a href="/">Kembali ke Beranda</a></p></main></body></html>`;

export const queueBoard: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  app.addHook('onRequest', async (req, reply) => {
    if (!req.staff) {
      const next = req.method === 'GET' ? `?lanjut=${encodeURIComponent(BOARD_PATH)}` : '';
      return reply.redirect(`/masuk${next}`, 303);
    }
    if (req.staff.user.mustChangePassword) return reply.redirect('/kata-sandi', 303);
    if (req.staff.user.role !== 'admin') {
      return reply.code(403).type('text/html; charset=utf-8').header('content-security-policy', BOARD_CSP).send(refusal('Papan antrean hanya untuk admin kabupaten.'));
    }
    // Read-only: the board changes nothing (a failed job's records are re-driven by the recovery sweep),
    // so no request of it needs the console's CSRF token.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return reply.code(405).type('text/html; charset=utf-8').send(refusal('Papan antrean hanya untuk dilihat.'));
    }
  });
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('content-security-policy', BOARD_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    if (!req.url.startsWith(`${BOARD_PATH}/static/`)) reply.header('cache-control', 'no-store');
    return payload;
  });

  const server = new FastifyAdapter();
  server.setBasePath(BOARD_PATH);
  // Jobs carry record ids and source ids only (src/pipeline/queues.ts, src/connectors/sync/queue.ts) and
  // failure reasons are stored PII-safe, so the board shows no personal data.
  const queues = [...STAGES.map((s) => deps.queues.queues[s]), syncQueueOf(deps.queues)];
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    serverAdapter: server,
    options: { uiConfig: { boardTitle: 'Tiyuh Hub · antrean', hideDocsLink: true, miscLinks: [{ text: 'Kembali ke Pipeline', url: '/pipeline' }] } },
  });
  await app.register(server.registerPlugin());
};
