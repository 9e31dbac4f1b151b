import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';

// Prometheus metrics through the API, against real Postgres and Redis.
const th = await startTestHub(t);
const adminKey = await th.key('admin');
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const db = th.hub.database.db;

const scrape = async (key: string | null) => {
  const res = await fetch(`${th.url}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};
/** The value of one sample, by metric name and labels as written. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

t.test('backlogs where they wait, and the age of the oldest', async (t) => {
  const before = await scrape(adminKey);
  t.equal(before.status, 200);
  t.match(before.type, /^text\/plain; version=0\.0\.4/);
  t.match(before.text, /# TYPE tiyuh_registrations gauge/);
  const res = await fetch(`${th.url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${villageKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ registrations: [applicant(1), applicant(2), applicant(3)].map((a, i) => ({ externalId: `m-${i}`, service: 'KTP_EL_BARU', applicant: a })) }),
  });
  t.equal(res.status, 202);
  await eventually(async () => {
    const [r] = await rows<{ n: number }>(db, sql`select count(*)::int as n from registrations where status = 'routed'`);
    return r!.n === 3 ? r : null;
  });
  const after = await scrape(adminKey);
  t.equal(sample(after.text, 'tiyuh_registrations{status="routed"}'), 3);
  t.equal(sample(after.text, 'tiyuh_agency_items{agency="disdukcapil",status="waiting"}'), 3, 'waiting in the agency queue');
  const oldest = sample(after.text, 'tiyuh_agency_oldest_waiting_seconds{agency="disdukcapil"}');
  t.ok(oldest !== undefined && oldest >= 0 && oldest < 600, `the oldest item's age (${oldest} s)`);
  t.ok((sample(after.text, 'tiyuh_citizens') ?? 0) >= 3);
  t.equal(sample(after.text, 'tiyuh_pipeline_jobs{stage="identify",state="failed"}'), 0);
  t.notMatch(after.text, /\d{16}|Bearer|th[vax]_/, 'no NIK or KK, no keys');
});

t.test('admin keys only', async (t) => {
  t.equal((await scrape(null)).status, 401);
  t.equal((await scrape(villageKey)).status, 403);
});
