import t from 'tap';
import { createLogger } from '../../src/runtime/logger.js';
import { startHub } from '../../src/runtime/hub.js';
import { LogCapture, startTestHub } from '../helpers/hub.js';
import { PANARAGAN } from '../helpers/fixtures.js';

const ORIGIN = 'https://layanan.tubabakab.go.id';
const th = await startTestHub(t, {}, { RATE_LIMIT_PER_MINUTE: '4', CORS_ORIGINS: `${ORIGIN}, https://mpp.example.id` });
// A second hub process on the same database and Redis, as a kabupaten runs two behind a proxy.
const second = await startHub(th.hub.env, createLogger('warn', new LogCapture()), { api: true, workers: false, port: 0 });
t.teardown(() => second.close());
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const otherKey = await th.key('village', { villageCode: PANARAGAN });
const opendkToken = await th.key('opendk', { villageCode: PANARAGAN });

const get = (base: string, key: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/residents?limit=1`, { headers: { authorization: `Bearer ${key}`, ...headers } });

t.test('a key\'s budget is shared by every hub process and told in RateLimit-* headers', async (t) => {
  const first = await get(th.url, villageKey);
  t.equal(first.status, 200);
  t.equal(first.headers.get('ratelimit-limit'), '4');
  t.equal(first.headers.get('ratelimit-remaining'), '3');
  t.match(first.headers.get('ratelimit-reset'), /^\d+$/);
  await get(second.url!, villageKey);
  await get(th.url, villageKey);
  const last = await get(second.url!, villageKey);
  t.equal(last.headers.get('ratelimit-remaining'), '0', 'four requests over two processes');
  const refused = await get(th.url, villageKey);
  t.equal(refused.status, 429);
  t.match(refused.headers.get('retry-after'), /^\d+$/);
  t.match(await refused.json(), { code: 'RATE_LIMITED', message: { id: /^Terlalu banyak permintaan/, en: /^Too many requests/ } });
  t.equal((await get(second.url!, otherKey)).status, 200, 'another key has its own budget');

  for (let i = 0; i < 4; i++) await fetch(`${th.url}/api/v1/test`, { headers: { authorization: `Bearer ${opendkToken}` } });
  const opendk = await fetch(`${th.url}/api/v1/test`, { headers: { authorization: `Bearer ${opendkToken}` } });
  t.equal(opendk.status, 429);
  t.match(await opendk.json(), { status: 'danger', message: /^Terlalu banyak permintaan/ }, 'in OpenDK\'s shape for OpenSID');
});

t.test('browsers are answered CORS from the listed origins only', async (t) => {
  const preflight = await fetch(`${th.url}/v1/registrations`, {
    method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
  t.equal(preflight.status, 204);
  t.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
  t.match(preflight.headers.get('access-control-allow-headers'), /Authorization/);
  const listed = await get(th.url, otherKey, { origin: 'https://mpp.example.id' });
  t.equal(listed.headers.get('access-control-allow-origin'), 'https://mpp.example.id');
  t.match(listed.headers.get('access-control-expose-headers'), /RateLimit-Remaining/);
  const stranger = await get(th.url, otherKey, { origin: 'https://evil.example' });
  t.equal(stranger.headers.get('access-control-allow-origin'), null);
});

t.test('requests arriving together over two processes: each counted once, the budget exact', async (t) => {
  const key = await th.key('village', { villageCode: PANARAGAN });
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => get(i % 2 ? th.url : second.url!, key)));
  const ok = answers.filter((a) => a.status === 200);
  t.equal(ok.length, 4, 'four within the budget');
  t.equal(answers.filter((a) => a.status === 429).length, 8, 'the rest refused');
  t.same(ok.map((a) => a.headers.get('ratelimit-remaining')).sort(), ['0', '1', '2', '3'], 'each its own count');
});
