import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { PANARAGAN } from '../helpers/fixtures.js';

const th = await startTestHub(t, { workers: false });

t.test('console pages, their CSS and long JSON answers travel compressed; small answers do not', async (t) => {
  const get = (path: string, encoding: string, headers: Record<string, string> = {}) =>
    fetch(`${th.url}${path}`, { headers: { 'accept-encoding': encoding, ...headers } });

  const login = await get('/', 'br, gzip');
  t.equal(login.status, 200);
  t.equal(login.headers.get('content-encoding'), 'br', 'the login page is brotli-compressed');
  t.match(await login.text(), /<html lang="id">/, 'and reads back whole');
  const css = await get('/static/konsol.css', 'gzip');
  t.equal(css.headers.get('content-encoding'), 'gzip', 'the CSS is gzip-compressed for a browser without brotli');
  t.match(await css.text(), /body/);
  t.equal((await get('/', 'identity')).headers.get('content-encoding'), null, 'a client that accepts no encoding gets plain HTML');

  const key = await th.key('admin');
  const openapi = await get('/openapi.json', 'br', { authorization: `Bearer ${key}` });
  t.equal(openapi.status, 200);
  t.equal(openapi.headers.get('content-encoding'), 'br', 'a long JSON answer is compressed');
  const village = await th.key('village', { villageCode: PANARAGAN });
  const small = await get('/v1/quarantine', 'br, gzip', { authorization: `Bearer ${village}` });
  t.equal(small.status, 200);
  t.equal(small.headers.get('content-encoding'), null, 'an answer under 1 KB is sent as it is');
});
