import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { handlerRoles } from './auth.js';
import type { Role } from './keys.js';

/** Status → the stable codes a route answers with, as problem+json; listed in the OpenAPI document. */
export type Problems = Partial<Record<number, string[]>>;

declare module 'fastify' {
  interface FastifySchema {
    problems?: Problems; hide?: boolean;
    /** A body shown in the reference that fastify does not check: the handler checks it record by record and answers each. */
    documentedBody?: unknown;
  }
}

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is stable, `message` is in Indonesian and English',
  required: ['type', 'title', 'status', 'code', 'message'],
  properties: {
    type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' },
    field: { type: 'string' }, message: { type: 'object', properties: { id: { type: 'string' }, en: { type: 'string' } } },
    errors: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, field: { type: 'string' } } } },
  },
};

const AUTH_PROBLEMS: Problems = { 401: ['AUTH_MISSING', 'AUTH_INVALID'], 403: ['AUTH_FORBIDDEN'], 429: ['RATE_LIMITED'] };
const REQUEST_PROBLEMS: Problems = { 400: ['FIELD_REQUIRED', 'FIELD_TYPE', 'FIELD_UNKNOWN', 'FIELD_TOO_LONG', 'FIELD_FORMAT', 'BODY_INVALID_JSON'] };

function hooks(route: RouteOptions): unknown[] {
  return [route.onRequest, route.preValidation, route.preHandler].flatMap((h) => (h === undefined ? [] : Array.isArray(h) ? h : [h]));
}

/** The key roles a route admits (admin keys always), or null for a public route. */
export function routeRoles(route: RouteOptions): Role[] | null {
  for (const h of hooks(route)) {
    const roles = handlerRoles.get(h as object);
    if (roles) return [...new Set<Role>([...roles, 'admin'])];
  }
  return null;
}

/** Routes that do not describe themselves well enough for the reference: no summary or no answer described. */
export const undocumented = new WeakMap<FastifyInstance, string[]>();

/**
 * GET /openapi.json and the browsable /docs, generated from the routes' own schemas; the key a route
 * needs, the request checks and the stable error codes are added here, once, for every route.
 * Called on the root instance before any route is registered, so every route is seen.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const missing: string[] = [];
  undocumented.set(app, missing);
  // Judged once every route is in: a plugin (the console's HTML pages) may mark its own routes hidden.
  const seen: { method: string | string[]; url: string; schema?: FastifySchema }[] = [];
  app.addHook('onRoute', (route) => { seen.push(route); });
  app.addHook('onReady', async () => {
    for (const route of seen) {
      const s = route.schema;
      if (s?.hide || route.method === 'HEAD' || route.url.startsWith('/docs') || route.url === '/openapi.json') continue;
      const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
      const answers = s?.response && Object.keys(s.response as object).length > 0;
      if (!s?.summary || !answers) missing.push(`${methods} ${route.url}${!s ? ' (no schema)' : !s.summary ? ' (no summary)' : ' (no response schema)'}`);
    }
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tiyuh Hub API',
        version: '1',
        description: 'Integration hub for village (tiyuh) data of Kabupaten Tulang Bawang Barat. Errors are application/problem+json '
          + '(RFC 9457) with a stable `code` and a message in Indonesian and English. Agencies may receive items by webhook '
          + '(Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature v1 HMAC-SHA256).',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key (tiyuh-hub keys create)' } } },
    },
    transform: ({ schema, url, route }) => {
      const { problems = {}, documentedBody, ...rest } = (schema ?? {}) as Record<string, unknown> & { problems?: Problems };
      if (documentedBody && !rest.body) rest.body = documentedBody;
      const roles = routeRoles(route as RouteOptions);
      const all: Problems = {};
      const addAll = (p: Problems) => { for (const [k, v] of Object.entries(p)) all[Number(k)] = [...new Set([...(all[Number(k)] ?? []), ...(v ?? [])])]; };
      if (rest.body || rest.querystring || rest.params || rest.headers) addAll(REQUEST_PROBLEMS);
      if (roles) addAll(AUTH_PROBLEMS);
      addAll(problems);
      addAll({ 500: ['INTERNAL'] });
      const response: Record<string, unknown> = { ...(rest.response as Record<string, unknown> | undefined) };
      for (const [status, codes] of Object.entries(all)) {
        response[status] = { description: `Problem: ${codes!.join(', ')}`, content: { 'application/problem+json': { schema: problemSchema } } };
      }
      const keys = roles ? `Keys: ${roles.join(', ')}.` : 'Public: no key.';
      return {
        url,
        schema: {
          ...rest, response,
          description: rest.description ? `${String(rest.description)}\n\n${keys}` : keys,
          ...(roles ? { security: [{ bearerAuth: [] }] } : {}),
        },
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
