/**
 * The yardstick `npm run bench` runs beside the hub, in the same window: a minimal batched pipeline of
 * the same flow (HTTP batch push → rows in Postgres → one BullMQ job per batch → identify by exact NIK
 * against an in-memory map → route to the agency queue as Postgres rows), with none of the hub's
 * care (no inbox, idempotency, quarantine, fuzzy matching, review or golden records). The hub's rate
 * divided by this one's is the ratio the bar reads (≥ 0.6), and it holds on a noisy machine
 * where absolute rates do not. Its tables live in the bench's own database, prefixed `proto_`.
 */
import Fastify from 'fastify';
import { connectPostgres } from '../src/db/client.js';
import { Queue, Worker } from 'bullmq';
import type { HubConfig } from '../src/config/load.js';
import { routeRegistration } from '../src/pipeline/stages/route.js';
import { workerConnection } from '../src/runtime/redis.js';
import { processCpuSeconds } from './benchHub.js';

export interface PrototypeRun {
  accepted: number; routed: number; seconds: number; recordsPerSecond: number;
  /** CPU per accepted record in the window: this process (the prototype and the bench's client) and the Postgres backends of its pool. */
  cpuMicrosPerRecord: { node: number; postgres: number };
}

interface Body { registrations: { externalId: string; service: string; applicant: { nik?: string; villageCode?: string } }[] }

export async function runPrototype(opts: { databaseUrl: string; redisUrl: string; prefix: string; config: HubConfig; bodies: string[]; concurrency: number }): Promise<PrototypeRun> {
  // The hub's own way to the server (a Unix socket when the URL names one), so the ratio compares like with like.
  const pg = connectPostgres(opts.databaseUrl, { max: 10, onnotice: () => {} });
  await pg.unsafe(`
    create table proto_registrations (id bigint generated always as identity primary key, village_code text not null, external_id text not null,
      service_code text not null, applicant jsonb not null, status text not null, citizen_id bigint, unique (village_code, external_id));
    create index on proto_registrations (id) where status in ('validated', 'identified');
    create table proto_citizens (id bigint generated always as identity primary key, nik text not null unique);
    create table proto_deliveries (id bigint generated always as identity primary key, registration_id bigint not null unique, agency_code text not null, queue text not null)`);
  const connections = [workerConnection(opts.redisUrl), workerConnection(opts.redisUrl), workerConnection(opts.redisUrl)];
  const identifyQueue = new Queue<{ ids: number[] }>('proto-identify', { connection: connections[0]!, prefix: opts.prefix });
  const routeQueue = new Queue<{ ids: number[] }>('proto-route', { connection: connections[0]!, prefix: opts.prefix });
  const jobOpts = { removeOnComplete: true, removeOnFail: true };

  // Exact NIK only: the whole index is a map, kept current by the one identify worker.
  const citizenOf = new Map<string, number>();
  const identify = new Worker<{ ids: number[] }>('proto-identify', async (job) => {
    const ids = await pg.begin(async (tx) => {
      const found = await tx<{ id: number; nik: string }[]>`
        select id::int, applicant->>'nik' as nik from proto_registrations where id = any(${job.data.ids}::bigint[]) and status = 'validated' for update`;
      const fresh = [...new Set(found.map((f) => f.nik).filter((n) => !citizenOf.has(n)))];
      if (fresh.length) {
        for (const c of await tx<{ id: number; nik: string }[]>`insert into proto_citizens (nik) select unnest(${fresh}::text[]) returning id::int, nik`) citizenOf.set(c.nik, c.id);
      }
      await tx`update proto_registrations r set status = 'identified', citizen_id = u.c
        from unnest(${found.map((f) => f.id)}::bigint[], ${found.map((f) => citizenOf.get(f.nik)!)}::bigint[]) as u(id, c) where r.id = u.id`;
      return found.map((f) => f.id);
    });
    if (ids.length) await routeQueue.add('r', { ids }, jobOpts);
  }, { connection: connections[1]!, prefix: opts.prefix, concurrency: 1 });
  const route = new Worker<{ ids: number[] }>('proto-route', async (job) => {
    await pg.begin(async (tx) => {
      const found = await tx<{ id: number; service_code: string; village: string }[]>`
        select id::int, service_code, coalesce(applicant->>'villageCode', village_code) as village from proto_registrations
        where id = any(${job.data.ids}::bigint[]) and status = 'identified' for update skip locked`;
      const routes = found.map((f) => ({ id: f.id, r: routeRegistration(opts.config, f.service_code, f.village) })).filter((x) => x.r);
      await tx`insert into proto_deliveries (registration_id, agency_code, queue)
        select * from unnest(${routes.map((x) => x.id)}::bigint[], ${routes.map((x) => x.r!.agency)}::text[], ${routes.map((x) => x.r!.queue)}::text[])
        on conflict (registration_id) do nothing`;
      await tx`update proto_registrations set status = 'routed' where id = any(${found.map((f) => f.id)}::bigint[])`;
    });
  }, { connection: connections[2]!, prefix: opts.prefix, concurrency: 4 });

  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  app.post<{ Body: Body }>('/push', async (req, reply) => {
    const valid = req.body.registrations.filter((r) => /^\d{16}$/.test(r.applicant.nik ?? '') && opts.config.services.has(r.service));
    const village = '1812012002';
    const inserted = await pg<{ id: number }[]>`
      insert into proto_registrations (village_code, external_id, service_code, applicant, status)
      select ${village}, u.ext, u.svc, u.app::jsonb, 'validated'
      from unnest(${valid.map((v) => v.externalId)}::text[], ${valid.map((v) => v.service)}::text[], ${valid.map((v) => JSON.stringify(v.applicant))}::text[]) as u(ext, svc, app)
      on conflict do nothing returning id::int`;
    if (inserted.length) await identifyQueue.add('i', { ids: inserted.map((r) => r.id) }, jobOpts);
    return reply.code(202).send({ accepted: inserted.length });
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  const backendsCpu = async () => (await pg<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`)
    .reduce((sum, b) => sum + processCpuSeconds(b.pid), 0);
  let accepted = 0;
  const pg0 = await backendsCpu();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: opts.concurrency }, async () => {
    while (next < opts.bodies.length) {
      const res = await fetch(`${url}/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: opts.bodies[next++]! });
      if (res.status !== 202) throw new Error(`prototype push failed: ${res.status}`);
      accepted += ((await res.json()) as { accepted: number }).accepted;
    }
  }));
  for (;;) {
    const [r] = await pg<{ moving: boolean }[]>`select exists(select 1 from proto_registrations where status in ('validated', 'identified')) as moving`;
    if (!r!.moving) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pgCpu = (await backendsCpu()) - pg0;
  const [done] = await pg<{ routed: number }[]>`select count(*)::int as routed from proto_deliveries`;
  await app.close();
  await Promise.all([identify.close(), route.close()]);
  await Promise.all([identifyQueue.close(), routeQueue.close()]);
  await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  await pg.end();
  return {
    accepted, routed: done!.routed, seconds: Number(seconds.toFixed(2)), recordsPerSecond: Math.round(accepted / seconds),
    cpuMicrosPerRecord: { node: Math.round((cpu.user + cpu.system) / accepted), postgres: Math.round((pgCpu * 1e6) / accepted) },
  };
}
