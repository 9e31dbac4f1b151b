import t from 'tap';
import { startSimulator } from '../../src/simulator/server.js';
import { SIM_LOGIN, VILLAGES } from './fixtures/syncConfig.js';

// The simulator answers as the real servers' source says it must (docs/protocols/), so a connector that
// the real server would refuse is refused here too.
const sim = await startSimulator({ residents: 600, villages: VILLAGES, seed: 3, rateLimit: { requests: 1000, windowMs: 60_000 } });
t.teardown(() => sim.close());

async function call(path: string, init: { token?: string; body?: unknown } = {}) {
  const res = await fetch(`${sim.url}${path}`, {
    method: init.body ? 'POST' : 'GET',
    headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  // The answers are explored field by field below; each assertion states the shape it expects.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) as Record<string, any> : null };
}

const signin = await call('/api/v1/signin', { body: SIM_LOGIN });
const token = signin.body!.access_token as string;
const listing = (q: string) => call(`/api/v1/penduduk?${q}`, { token });
const [VA] = VILLAGES as [string];

t.test('Database Gabungan: Sanctum signin, and the JSON:API shape of Fractal\'s JsonApiSerializer', async (t) => {
  t.match(signin, { status: 200, body: { message: 'Login Success ', token_type: 'Bearer', access_token: /^\d+\|/ } });
  t.match(await call('/api/v1/penduduk'), { status: 401, body: { message: 'Unauthenticated.' } });
  const page = await listing('filter[kode_desa]=' + VA + '&sort=nik&page[number]=2&page[size]=10');
  t.equal(page.status, 200);
  const item = page.body!.data[0];
  t.match(item, { type: 'penduduk', id: /^\d+$/, attributes: { config: { kode_desa: VA, kode_kecamatan: VA.slice(0, 6) }, status_kawin: { id: Number, nama: String } } });
  t.notOk('id' in item.attributes, 'the serializer moves id out of the attributes');
  t.match(item.attributes.tanggallahir, /^\d{2}-\d{2}-\d{4}$/, 'dates d-m-Y');
  t.same(Object.keys(page.body!.meta.pagination).sort(), ['count', 'current_page', 'per_page', 'total', 'total_pages']);
  t.match(page.body!.links, { self: /page%5Bnumber%5D=2/, first: String, prev: String, last: String });
});

t.test('Database Gabungan: only the allowed sorts; any other is a 400 naming it', async (t) => {
  const refused = await listing('sort=id');
  t.equal(refused.status, 400);
  t.equal(refused.body!.message, 'Requested sort(s) `id` is not allowed. Allowed sort(s) are `nik, nama, umur, created_at, tag_id_card`.');
  for (const s of ['nik', '-nik', 'nama', 'created_at', 'tag_id_card', 'nik,nama']) t.equal((await listing(`sort=${s}`)).status, 200, s);
  t.equal((await listing('sort=umur')).status, 500, 'umur is allowed but is no column');
  const sorted = (await listing(`filter[kode_desa]=${VA}&sort=nik&page[size]=500`)).body!.data.map((d: { attributes: { nik: string | null } }) => d.attributes.nik);
  t.same(sorted, [...sorted].sort((a, b) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1)), 'sorted by nik, NULL first');
  const refusedFilter = await listing('filter[kode_wilayah]=1812');
  t.equal(refusedFilter.status, 400);
  t.match(refusedFilter.body!.message, /^Requested filter\(s\) `kode_wilayah` are not allowed/);
});

t.test('Database Gabungan: the village filter is filter[kode_desa]; config_desa is the config row id', async (t) => {
  const n = sim.villageCounts.get(VA)!;
  t.equal((await listing(`filter[kode_desa]=${VA}`)).body!.meta.pagination.total, n);
  t.equal((await listing('filter[kode_desa]=18.12.01.2002')).body!.meta.pagination.total, 0, 'codes are stored without dots');
  t.equal((await listing(`config_desa=${VA}`)).body!.meta.pagination.total, 0, 'a village code is no config row id: zero rows, HTTP 200');
  t.equal((await listing(`config_desa=${sim.configIds.get(VA)}`)).body!.meta.pagination.total, n);
});

t.test('Database Gabungan: plain kode_kecamatan is pasted into SQL unquoted; filter[kode_kecamatan] is bound', async (t) => {
  const all = sim.total;
  t.equal((await listing('kode_kecamatan=181201')).body!.meta.pagination.total, all, 'a bare number compares numerically: works by luck');
  t.equal((await listing('kode_kecamatan=18.12.01')).status, 500, 'a dotted code is an SQL syntax error');
  t.equal((await listing('kode_kecamatan=18.12')).body!.meta.pagination.total, 0, 'a decimal matches nothing');
  t.equal((await listing('filter[kode_kecamatan]=181201')).body!.meta.pagination.total, all);
  t.equal((await listing('filter[kode_kecamatan]=18.12.01')).body!.meta.pagination.total, 0);
});

t.test('Database Gabungan: page[size] is capped at 500 and defaults to 30; a bad page number is page 1', async (t) => {
  t.equal((await listing('page[size]=1000')).body!.meta.pagination.per_page, 500);
  t.equal((await listing('')).body!.meta.pagination.per_page, 30);
  t.equal((await listing('page[size]=0')).body!.meta.pagination.per_page, 30);
  t.equal((await listing('page[number]=abc')).body!.meta.pagination.current_page, 1);
  const past = await listing('page[number]=99&page[size]=500');
  t.match(past.body, { data: [], meta: { pagination: { total: sim.total, count: 0, current_page: 99, total_pages: 2 } } });
});

t.test('both servers: 60 requests a minute per user, then 429 with Retry-After', async (t) => {
  const small = await startSimulator({ residents: 50, villages: [VA], rateLimit: { requests: 5, windowMs: 2000 } });
  t.teardown(() => small.close());
  const login = await (await fetch(`${small.url}/api/v1/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SIM_LOGIN) })).json() as { access_token: string };
  const get = () => fetch(`${small.url}/api/v1/penduduk`, { headers: { authorization: `Bearer ${login.access_token}` } });
  for (let i = 0; i < 5; i++) t.equal((await get()).status, 200);
  const over = await get();
  t.equal(over.status, 429);
  t.match(await over.json(), { message: 'Too Many Attempts.' });
  t.ok(Number(over.headers.get('retry-after')) >= 1);
  await new Promise((r) => setTimeout(r, 2100));
  t.equal((await get()).status, 200, 'a new window');
});

t.test('OpenSID API: JWT admin login by user name; residents sortable by nama only, five fields, pages of up to 100', async (t) => {
  const base = `/desa/${VA}`;
  t.match(await call(`${base}/api/admin/login`, { body: { email: SIM_LOGIN.email, password: SIM_LOGIN.password } }),
    { status: 422, body: { errors: { username: Array } } }, 'the login validates username');
  t.match(await call(`${base}/api/admin/login`, { body: { username: SIM_LOGIN.email, password: 'salah' } }), { status: 401, body: { code: 401 } });
  const ok = await call(`${base}/api/admin/login`, { body: { username: SIM_LOGIN.email, password: SIM_LOGIN.password } });
  t.match(ok, { status: 200, body: { success: true, message: 'success', data: { token: /^eyJ/ } } });
  const jwt = ok.body!.data.token as string;
  const refused = await call(`${base}/api/v1/admin/penduduk?sort=id`, { token: jwt });
  t.equal(refused.status, 400);
  t.match(refused.body!.message, 'Allowed sort(s) are `nama`');
  const page = await call(`${base}/api/v1/admin/penduduk?page[size]=500`, { token: jwt });
  t.equal(page.body!.meta.pagination.per_page, 100);
  t.same(Object.keys(page.body!.data[0].attributes).sort(), ['alamat_sekarang', 'nama', 'nik', 'tweb_wil_clusterdesa']);
  const names = page.body!.data.map((d: { attributes: { nama: string } }) => d.attributes.nama);
  t.same(names, [...names].sort(), 'ordered by nama without a sort');
  t.equal((await call(`${base}/api/admin/surat/mandiri?sort=id`, { token: jwt })).status, 200);
  t.equal((await call(`${base}/api/admin/surat/mandiri?sort=tanggal`, { token: jwt })).status, 400);
  t.equal((await call(`/api/v1/penduduk`, { token: jwt })).status, 401, 'a village JWT is no Sanctum token');
});
