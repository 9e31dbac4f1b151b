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
  t.notMatch(after.text, /(?<![\d.])\d{16}(?![\d.])|Bearer|th[vax]_/, 'no NIK or KK (16-digit numbers that are not a fraction\'s digits), no keys');
});

t.test('process metrics and HTTP latency by route pattern, every hub metric name kept', async (t) => {
  const { text } = await scrape(adminKey);
  t.ok((sample(text, 'process_resident_memory_bytes') ?? 0) > 0, 'resident memory');
  t.match(text, /# TYPE nodejs_eventloop_lag_seconds gauge/);
  t.match(text, /# TYPE tiyuh_http_request_duration_seconds histogram/);
  t.ok((sample(text, 'tiyuh_http_request_duration_seconds_count{method="POST",route="/v1/registrations",status="202"}') ?? 0) >= 1);
  t.match(text, /tiyuh_http_request_duration_seconds_bucket\{le="0\.1",method="GET",route="\/metrics",status="200"\} \d+/);
  t.notMatch(text, /route="\/v1\/registrations\/\d/, 'route patterns, not URLs with ids');
  for (const name of ['tiyuh_registrations', 'tiyuh_resident_records', 'tiyuh_citizens', 'tiyuh_agency_items', 'tiyuh_agency_items_cancelled_unacked',
    'tiyuh_agency_oldest_waiting_seconds', 'tiyuh_review_cases_open', 'tiyuh_review_case_oldest_open_seconds', 'tiyuh_quarantine_open',
    'tiyuh_source_lag_seconds', 'tiyuh_source_failing', 'tiyuh_pipeline_jobs']) {
    t.match(text, new RegExp(`# TYPE ${name} gauge`), name);
  }
});

t.test('admin keys only', async (t) => {
  t.equal((await scrape(null)).status, 401);
  t.equal((await scrape(villageKey)).status, 403);
});
