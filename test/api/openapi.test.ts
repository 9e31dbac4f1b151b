import t from 'tap';
import { undocumented } from '../../src/api/openapi.js';
import { startTestHub } from '../helpers/hub.js';

const th = await startTestHub(t, { workers: false });

t.test('GET /openapi.json describes the API: auth, requests, answers and error codes', async (t) => {
  const res = await fetch(`${th.url}/openapi.json`);
  t.equal(res.status, 200);
  const doc = await res.json() as {
    openapi: string; components: { securitySchemes: Record<string, unknown> };
    paths: Record<string, Record<string, { summary?: string; security?: unknown[]; description?: string; requestBody?: unknown; responses: Record<string, { content?: Record<string, unknown> }> }>>;
  };
  t.match(doc.openapi, /^3\./);
  t.ok(doc.components.securitySchemes.bearerAuth, 'bearer keys');
  const status = doc.paths['/v1/agencies/{agency}/items/{id}/status']?.post;
  t.ok(status, 'the status endpoint is described');
  t.same(status!.security, [{ bearerAuth: [] }]);
  t.match(status!.description, /Keys: agency, admin\./);
  t.ok(status!.requestBody, 'with its body');
  t.ok(status!.responses['200'], 'its answer');
  t.ok(status!.responses['409']?.content?.['application/problem+json'], 'its conflicts as problem+json');
  t.match(JSON.stringify(status!.responses['409']), /ITEM_ANSWER_FINAL/);
  t.match(JSON.stringify(status!.responses['401']), /AUTH_MISSING/);
  t.notOk(doc.paths['/v1/services']?.get?.security, 'the catalogue is public');
  t.ok(doc.paths['/v1/registrations']?.get, 'the village feed');
  // The push's body is checked record by record in its handler, not by fastify; the reference still shows it.
  interface Doc { nullable?: boolean; required?: string[]; maxItems?: number; properties: Record<string, Doc> }
  const push = doc.paths['/v1/registrations']?.post as { requestBody?: { content: Record<string, { schema: { oneOf: Doc[] } }> } };
  const one = push?.requestBody?.content['application/json']?.schema.oneOf[0];
  t.ok(one, 'the registration push shows its body');
  t.same(one!.properties.applicant!.required, ['fullName']);
  t.equal(one!.properties.applicant!.properties.motherName!.nullable, true, 'an optional field may be null');
  t.notOk(one!.properties.applicant!.properties.fullName!.nullable, 'a required one may not');
  t.equal(one!.properties.submittedAt!.nullable, true);
  t.notOk(one!.properties.externalId!.nullable);
  t.equal(push!.requestBody!.content['application/json']!.schema.oneOf[1]!.properties.registrations!.maxItems, 1000, 'or a batch');
  t.ok(doc.paths['/v1/webhooks/agencies/{agency}']?.put, 'webhook administration');
  t.notOk(Object.keys(doc.paths).some((p) => p.startsWith('/docs')), 'the reference pages are not part of the API');

  const docs = await fetch(`${th.url}/docs/`, { redirect: 'follow' });
  t.equal(docs.status, 200);
  t.match(await docs.text(), /swagger-ui/i, '/docs is the browsable reference');
});

t.test('every route has a schema: a summary and its answers', async (t) => {
  const missing = undocumented.get(th.hub.app!) ?? [];
  // Listed one per line so whoever adds a route sees which one needs its schema.
  t.same(missing, [], `routes without a complete schema:\n  ${missing.join('\n  ')}`);
});
