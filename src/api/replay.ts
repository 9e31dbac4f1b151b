import type { FastifyPluginAsync } from 'fastify';
import { replayRegistrations, ReplayFilterError, resolveReplayFilter, type ReplayFilter } from '../delivery/replay.js';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { HubError } from './problem.js';

const replayAnswer = {
  type: 'object',
  properties: {
    dryRun: { type: 'boolean' }, from: { enum: ['identify', 'route'] }, matched: { type: 'integer' },
    byStatus: { type: 'object', additionalProperties: { type: 'integer' } },
    moves: {
      type: 'array', description: 'Items that change agency queue under the current catalogue',
      items: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' }, count: { type: 'integer' } } },
    },
    unchanged: { type: 'integer', description: 'Items already in the right queue: left as they are unless redeliver' },
    redelivered: { type: 'integer' },
  },
} as const;

export const replayRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  app.post<{ Body: { from: 'identify' | 'route'; filter?: ReplayFilter; dryRun?: boolean; redeliver?: boolean } }>('/v1/replay', {
    preHandler: requireKey(deps.keys, deps.limiter, ['admin']),
    schema: {
      tags: ['admin'],
      summary: 'Run registrations again from identify or route (e.g. after a catalogue change); dryRun answers the counts and changes nothing',
      description: 'An agency never gets the same registration twice unless redeliver is true. Cancelled, quarantined and still-moving registrations are not replayed. Audited.',
      body: {
        type: 'object', required: ['from'], additionalProperties: false,
        properties: {
          from: { enum: ['identify', 'route'] },
          dryRun: { type: 'boolean', default: false },
          redeliver: { type: 'boolean', default: false },
          filter: {
            type: 'object', additionalProperties: false,
            properties: {
              village: { type: 'string', maxLength: 13 }, service: { type: 'string', maxLength: 48 },
              status: { enum: ['validated', 'identified', 'routed', 'held'] },
              since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' },
              errorCode: { type: 'string', maxLength: 64, description: 'A code among the registration\'s errors or warnings' },
            },
          },
        },
      },
      response: { 200: replayAnswer },
      problems: { 400: ['VILLAGE_CODE_UNKNOWN', 'SERVICE_UNKNOWN'] },
    },
  }, async (req) => {
    let filter: ReplayFilter;
    try {
      filter = resolveReplayFilter(deps.config, req.body.filter ?? {});
    } catch (err) {
      if (err instanceof ReplayFilterError) throw new HubError(400, err.code, err.text, `filter.${err.field}`);
      throw err;
    }
    return replayRegistrations(deps.ctx, { filter, from: req.body.from, dryRun: req.body.dryRun ?? false, redeliver: req.body.redeliver ?? false, actor: req.principal.label });
  });
};
