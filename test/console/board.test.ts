import t from 'tap';
import { startConsole } from './browser.js';
import { seedConsole } from './fixtures.js';
import { BOARD_PATH } from '../../src/console/board.js';
import { rows } from '../../src/db/client.js';
import { sql } from 'drizzle-orm';

const h = await startConsole(t);
const seed = await seedConsole(h);

t.test('the admin opens the queue board from the Pipeline page in Chromium', async (t) => {
  const page = await h.signedIn(seed.users.admin);
  await page.goto('/pipeline');
  await page.getByRole('link', { name: /papan antrean/i }).click();
  await page.waitForURL(`**${BOARD_PATH}/**`);
  await page.getByText('stage-identify').first().waitFor({ timeout: 30_000 });
  t.ok(await page.getByText('stage-route').first().isVisible(), 'every stage queue is on the board');
  t.ok(await page.getByText('sync').first().isVisible(), 'and the sync queue');
  const res = await page.context().request.get(`${BOARD_PATH}/`);
  t.match(res.headers()['content-security-policy'] ?? '', /script-src 'self';/, 'the board has its own CSP, scripts from the hub only');
});

t.test('a kecamatan user and a browser without a session are refused the board and its API', async (t) => {
  const kec = await h.signedIn(seed.users.kecamatan);
  for (const path of [`${BOARD_PATH}/`, `${BOARD_PATH}/api/queues`]) {
    const res = await kec.context().request.get(path, { maxRedirects: 0 });
    t.equal(res.status(), 403, `kecamatan: ${path} refused`);
  }
  const anon = await (await h.context()).newPage();
  for (const path of [`${BOARD_PATH}/`, `${BOARD_PATH}/api/queues`]) {
    const res = await anon.context().request.get(path, { maxRedirects: 0 });
    t.equal(res.status(), 303, `anonymous: ${path} sent to the login`);
    t.match(res.headers().location ?? '', /^\/masuk/);
  }
  await anon.goto(`${BOARD_PATH}/`);
  t.ok(await anon.getByRole('heading', { name: 'Masuk ke Konsol Petugas' }).isVisible());
});

t.test('the board is read-only and shows no personal data: jobs carry ids only', async (t) => {
  const admin = await h.signedIn(seed.users.admin);
  const post = await admin.context().request.put(`${BOARD_PATH}/api/queues/stage-identify/retry/failed`, { maxRedirects: 0 });
  t.equal(post.status(), 405, 'no action through the board');
  const db = h.th.hub.database.db;
  const people = await rows<{ full_name: string; nik: string | null }>(db, sql`
    select applicant->>'fullName' as full_name, applicant->>'nik' as nik from registrations
    union all select full_name, nik from resident_records`);
  t.ok(people.length >= 2, 'the fixture sent people through the pipeline');
  let jobs = 0;
  for (const queue of ['stage-identify', 'stage-route']) {
    const res = await admin.context().request.get(`${BOARD_PATH}/api/queues?activeQueue=${queue}&status=completed&page=1&jobsPerPage=50`);
    t.equal(res.status(), 200);
    const text = await res.text();
    const body = JSON.parse(text) as { queues: Array<{ name: string; jobs: Array<{ data: unknown }> }> };
    for (const q of body.queues.filter((x) => x.name === queue)) {
      for (const job of q.jobs) {
        jobs++;
        t.same(Object.keys(job.data as object).sort(), ['ids', 'kind'], `${queue} job data holds ids and kind only`);
      }
    }
    for (const p of people) {
      t.notOk(text.includes(p.full_name), `${queue}: no name in the board's answer`);
      if (p.nik) t.notOk(text.includes(p.nik), `${queue}: no NIK`);
    }
  }
  t.ok(jobs > 0, `completed jobs were on the board (${jobs})`);
});
