import t from 'tap';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { routeRegistration } from '../../src/pipeline/stages/route.js';
import { decideCase } from '../../src/pipeline/review/decideCase.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { applicant, MULYA_JAYA_05, PANARAGAN } from '../helpers/fixtures.js';

// The identify stage routes each registration in the same write as its identity; the route stage only
// takes registrations released by a review or replayed. With the route queue paused, pushes still reach
// their agency queues, held ones wait, and nothing is left identified.
const th = await startTestHub(t);
const db = th.hub.database.db;
const route = th.hub.ctx.queues.queues.route;

t.test('registrations are routed or held by identify itself, each once, in the queue routing names', async (t) => {
  await route.pause();
  t.teardown(() => route.resume());
  const key = await th.key('village', { villageCode: PANARAGAN });
  const services = ['KTP_EL_BARU', 'SK_BEBAS_NARKOBA', 'LEGALISASI_DOKUMEN', 'PENGANTAR_SKCK'];
  const registrations = Array.from({ length: 40 }, (_, i) => ({
    externalId: `fused-${i}`, service: services[i % services.length],
    // Half in a village of another kecamatan: kecamatan-level services go to that kecamatan's queue.
    applicant: applicant(7000 + i, i % 2 ? { villageCode: MULYA_JAYA_05 } : {}),
  }));
  const res = await fetch(`${th.url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ registrations }),
  });
  t.equal(res.status, 202);
  const answer = await res.json() as { records: { status: string }[] };
  t.same(answer.records.filter((r) => r.status !== "accepted"), [], "all accepted");
  const done = await eventually(async () => {
    const r = await rows<{ external_id: string; service_code: string; village: string; status: string; route_agency: string | null; route_level: string | null; route_kecamatan: string | null; queue: string | null; deliveries: number }>(db, sql`
      select r.external_id, r.service_code, coalesce(r.applicant->>'villageCode', r.village_code) as village, r.status, r.route_agency,
        r.route_level, r.route_kecamatan, d.queue, (select count(*)::int from deliveries x where x.registration_id = r.id) as deliveries
      from registrations r left join deliveries d on d.registration_id = r.id where r.external_id like 'fused-%' order by r.id`);
    return r.length === 40 && r.every((x) => x.status !== 'validated') ? r : null;
  });
  t.same(done.filter((r) => r.status !== 'routed'), [], 'every one routed while the route stage is paused');
  for (const r of done) {
    const expected = routeRegistration(th.hub.config, r.service_code, r.village)!;
    t.same({ agency: r.route_agency, level: r.route_level, kec: r.route_kecamatan, queue: r.queue, deliveries: r.deliveries },
      { agency: expected.agency, level: expected.level, kec: expected.kecamatanCode, queue: expected.queue, deliveries: 1 }, `${r.external_id} to ${expected.queue}`);
  }
  t.ok(done.some((r) => r.queue?.startsWith('kec:181205:')) && done.some((r) => r.queue?.startsWith('kec:181201:')), 'both kecamatan queues used');
  t.equal(await route.count(), 0, 'no route job was made for them');
});

t.test('a possible match for a service that waits for its identity is held in the same write, and routed once the case is decided', async (t) => {
  await route.pause();
  const mulyaJaya = await th.key('village', { villageCode: MULYA_JAYA_05 });
  const push = async (externalId: string, service: string, a: Record<string, unknown>) => {
    const res = await fetch(`${th.url}/v1/registrations`, {
      method: 'POST', headers: { authorization: `Bearer ${mulyaJaya}`, 'content-type': 'application/json' }, body: JSON.stringify({ externalId, service, applicant: a }),
    });
    return ((await res.json()) as { records: { id: number }[] }).records[0]!.id;
  };
  const settled = (id: number) => eventually(async () => {
    const [r] = await rows<{ status: string; identity: string; route_agency: string | null }>(db, sql`select status, identity, route_agency from registrations where id = ${id}`);
    return r && r.status !== 'validated' ? r : null;
  });
  await settled(await push('h-1', 'KTP_EL_BARU', { fullName: 'Siti Nurhaliza', nik: '1812014708900001', kk: '1812010101100001', sex: 'F', birthDate: '1990-08-07', motherName: 'Aminah', address: 'Dusun 2 RT 003', birthPlace: 'Panaragan' }));
  // Same birth date and NIK region, a near name and a NIK one serial apart: maybe the same Siti, maybe not.
  const held = await push('h-2', 'REKOMENDASI_PBI_JK', { fullName: 'Siti Nurhalisa', sex: 'F', birthDate: '1990-08-07', nik: '1812014708900005', kk: '1812050101100009', address: 'Jl. Tiyuh 1' });
  t.match(await settled(held), { status: 'held', identity: 'provisional', route_agency: null }, 'held with no route');
  const [d] = await rows<{ n: number }>(db, sql`select count(*)::int as n from deliveries where registration_id = ${held}`);
  t.equal(d!.n, 0, 'no delivery while held');
  await route.resume();
  const [c] = await rows<{ id: number }>(db, sql`select id from review_cases where record_kind = 'registration' and record_id = ${held} and status = 'open'`);
  t.ok(c, 'a review case waits');
  const out = await decideCase(db, th.hub.ctx.queues, c!.id, 'different', { label: 'kecamatan:test-staff', keyId: 0 }, 'two people');
  t.same(out.released, [held], 'deciding the case releases it to the route stage');
  const routed = await eventually(async () => {
    const [r] = await rows<{ status: string; queue: string | null }>(db, sql`
      select r.status, d.queue from registrations r left join deliveries d on d.registration_id = r.id where r.id = ${held}`);
    return r?.status === 'routed' ? r : null;
  });
  t.equal(routed.queue, 'kab:dinsos', 'and the route stage delivers it');
});
