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

  app.get('/v1/services', { schema: { summary: 'The MPP service catalogue' } }, async () => services);
  app.get('/v1/agencies', { schema: { summary: 'The MPP agencies' } }, async () => agencies);
};
