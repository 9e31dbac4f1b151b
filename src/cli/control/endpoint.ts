import type { FastifyInstance } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { HubError } from '../../api/problem.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { isOperationName, OPERATIONS } from '../operations/registry.js';
import { OperationError, type Operation, type OperationContext } from '../operations/operation.js';

/** One line of the endpoint's answer (NDJSON): progress while it runs, then the result or the error. */
export type ControlLine =
  | { progress: [done: number, total: number] }
  | { result: unknown }
  | { error: { code: string; message: { id: string; en: string }; exitCode: number } };

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * POST /admin/cli/:operation: the CLI's way into a running hub, so the CLI never opens the embedded
 * database beside it. Admitted with the secret of <DATA_DIR>/hub.json only (not with API keys).
 * The answer streams, so `import` can draw its progress bar.
 */
export function controlRoutes(secret: string, ctx: PipelineContext, describe: string) {
  const expected = digest(`Bearer ${secret}`);
  return async (app: FastifyInstance) => {
    app.post<{ Params: { operation: string }; Body: { input: unknown; actor: string } }>('/admin/cli/:operation', {
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        summary: 'Run a CLI operation inside the hub (local secret from DATA_DIR/hub.json)',
        params: { type: 'object', required: ['operation'], properties: { operation: { type: 'string', maxLength: 64 } } },
        body: { type: 'object', required: ['input', 'actor'], properties: { input: {}, actor: { type: 'string', maxLength: 200 } } },
      },
      // Authenticated before the (possibly large) body is read.
      onRequest: async (req) => {
        if (!timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
          throw new HubError(401, 'CONTROL_SECRET_INVALID', {
            id: 'Rahasia kendali tidak cocok dengan hub ini (lihat DATA_DIR/hub.json).',
            en: 'The control secret does not match this hub (see DATA_DIR/hub.json).',
          });
        }
      },
    }, async (req, reply) => {
      const name = req.params.operation;
      if (!isOperationName(name)) {
        throw new HubError(404, 'OPERATION_UNKNOWN', { id: `Operasi "${name}" tidak ada di hub ini.`, en: `No operation "${name}" in this hub.` });
      }
      const op = await OPERATIONS[name]() as Operation<unknown, unknown>;
      const out = new PassThrough();
      const send = (line: ControlLine) => out.write(JSON.stringify(line) + '\n');
      let lastProgress = 0;
      const c: OperationContext = {
        db: ctx.db, config: ctx.config, describe, pipeline: ctx, actor: req.body.actor,
        progress: (done, total) => {
          const now = Date.now();
          if (done < total && now - lastProgress < 100) return;
          lastProgress = now;
          send({ progress: [done, total] });
        },
      };
      op.run(c, req.body.input).then(
        (result) => { send({ result }); out.end(); },
        (err: unknown) => {
          if (err instanceof OperationError) send({ error: { code: err.code, message: err.text, exitCode: err.exitCode } });
          else {
            req.log.error({ err, operation: name }, 'CLI operation failed');
            send({ error: { code: 'OPERATION_FAILED', message: { id: `Operasi gagal: ${(err as Error).message}`, en: `The operation failed: ${(err as Error).message}` }, exitCode: 1 } });
          }
          out.end();
        },
      );
      return reply.type('application/x-ndjson').send(out);
    });
  };
}
