import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';

// At a kabupaten the identity index holds every linked record and takes seconds to build: the API must
// listen and take work meanwhile; only identify waits for the index.
t.test('the API takes work while the identity index is still building; identify waits for it', async (t) => {
  const th = await startTestHub(t, { workers: false });
  const db = th.hub.database.db;
  await db.execute(sql`
    insert into resident_records (village_code, local_id, nik, full_name, sex, birth_date, content_hash, channel, status)
    select ${PANARAGAN}, 'seed' || g, lpad((1812010101800000 + g)::text, 16, '0'), 'Penduduk ' || g, case when g % 2 = 0 then 'M' else 'F' end,
      date '1960-01-01' + (g % 15000), md5(g::text)::char(40), 'push', 'identified'
    from generate_series(1, 60000) g`);
  await db.execute(sql`insert into citizens (id, nik, full_name, village_code) overriding system value
    select g, lpad((1812010101800000 + g)::text, 16, '0'), 'Penduduk ' || g, ${PANARAGAN} from generate_series(1, 60000) g`);
  await db.execute(sql`select setval(pg_get_serial_sequence('citizens', 'id'), 60000)`);
  await db.execute(sql`insert into citizen_records (citizen_id, record_kind, record_id, village_code, link)
    select r.id, 'resident', r.id, ${PANARAGAN}, 'new' from resident_records r`);
  await db.execute(sql`analyze`);
  const key = await th.key('village', { villageCode: PANARAGAN });
  await th.hub.close();

  const started = Date.now();
  await th.restart({ workers: true });
  let indexReady = false;
  void th.hub.workers!.ready.then(() => { indexReady = true; });
  const res = await fetch(`${th.url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ registrations: [{ externalId: 'early-1', service: 'KTP_EL_BARU', applicant: applicant(1) }] }),
  });
  const answeredMs = Date.now() - started;
  t.equal(res.status, 202, `accepted ${answeredMs} ms after the start`);
  t.notOk(indexReady, 'while the index of 60,000 records was still building');
  await th.hub.workers!.ready;
  const routed = await eventually(async () => {
    const [r] = await rows<{ status: string }>(th.hub.database.db, sql`select status from registrations where external_id = 'early-1'`);
    return r?.status === 'routed' ? r : null;
  }, 60_000, 200);
  t.ok(routed, 'identified and routed once the index was there');
  t.comment(`start → first request accepted: ${answeredMs} ms`);
});
