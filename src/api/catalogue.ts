import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from './app.js';

export const catalogueRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const services = [...deps.config.services.values()].map((s) => ({
    code: s.code, name: s.name, agency: s.agency, level: s.level,
    serviceLevelDays: s.serviceLevelDays, holdUntilIdentityResolved: s.holdUntilIdentityResolved,
    requiredApplicantFields: s.requiredApplicantFields,
    ...(s.detailsSchema ? { detailsSchema: s.detailsSchema } : {}),
  }));
  const agencies = [...deps.config.agencies.values()].map((a) => ({ code: a.code, name: a.name, shortName: a.shortName ?? null, levels: a.levels }));

  const serviceSchema = {
    type: 'object',
    properties: {
      code: { type: 'string' }, name: { type: 'string' }, agency: { type: 'string' }, level: { enum: ['kabupaten', 'kecamatan'] },
      serviceLevelDays: { type: 'integer', description: 'Working days the agency has from routing to its answer' },
      holdUntilIdentityResolved: { type: 'boolean' }, requiredApplicantFields: { type: 'array', items: { type: 'string' } },
      detailsSchema: { type: 'object', additionalProperties: true, description: 'JSON Schema of the registration\'s details' },
    },
  } as const;
  const agencySchema = {
    type: 'object',
    properties: { code: { type: 'string' }, name: { type: 'string' }, shortName: { type: ['string', 'null'] }, levels: { type: 'array', items: { type: 'string' } } },
  } as const;
  app.get('/v1/services', { schema: { tags: ['catalogue'], summary: 'The MPP service catalogue', response: { 200: { type: 'array', items: serviceSchema } } } }, async () => services);
  app.get('/v1/agencies', { schema: { tags: ['catalogue'], summary: 'The MPP agencies', response: { 200: { type: 'array', items: agencySchema } } } }, async () => agencies);
};
