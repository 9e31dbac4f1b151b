/**
 * Prometheus metrics for the kabupaten's monitoring: how much waits where (pipeline stages, agency
 * queues, review cases, quarantine), for how long, and how far behind each village's source is, so
 * an unattended hub raises an alert before a village or an agency notices. Counts and ages only,
 * never personal data. Admin keys only (the scraper's bearer token).
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { STAGES } from '../pipeline/queues.js';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { sourceStatuses } from '../overview/sources.js';

/**
 * One registry per app (a process may build several in tests), exposed by prom-client: Node's process
 * metrics (CPU, memory, event-loop lag, GC), the HTTP latency histogram, and the hub's gauges, which
 * are read from Postgres and BullMQ at each scrape.
 */
export interface HubMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(): HubMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'tiyuh_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return { registry, httpDuration };
}

/** Times every request of the app by its route pattern (never the raw URL: ids would blow up the label set). */
export function observeHttp(app: FastifyInstance, metrics: HubMetrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
import { readBacklog, REDRIVE_CAP } from '../pipeline/backlog.js';

type Labels = Record<string, string>;

/** A gauge whose samples are replaced at each scrape, so a label set that is gone disappears. */
function gauge(registry: Registry, name: string, help: string, labelNames: string[]) {
  const g = new Gauge({ name, help, labelNames, registers: [registry] });
  return (samples: Array<[Labels, number]>) => {
    g.reset();
    for (const [labels, value] of samples) g.set(labels, value);
  };
}

export const metricsRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db } = deps;
  const adminKey = requireKey(deps.keys, deps.limiter, ['admin']);

  const r = deps.metrics.registry;
  const m = {
    registrations: gauge(r, 'tiyuh_registrations', 'Registrations by status.', ['status']),
    residents: gauge(r, 'tiyuh_resident_records', 'Population records by status (deleted ones left out).', ['status']),
    citizens: gauge(r, 'tiyuh_citizens', 'Citizens (merged ones left out).', []),
    agencyItems: gauge(r, 'tiyuh_agency_items', 'Agency queue items waiting or claimed.', ['agency', 'status']),
    cancelled: gauge(r, 'tiyuh_agency_items_cancelled_unacked', 'Items an agency claimed that the village cancelled afterwards, not yet acknowledged.', ['agency']),
    oldestWaiting: gauge(r, 'tiyuh_agency_oldest_waiting_seconds', 'Age of the oldest item waiting in each agency queue.', ['agency']),
    casesOpen: gauge(r, 'tiyuh_review_cases_open', 'Suspected duplicate citizens waiting for kecamatan staff.', ['kecamatan']),
    caseOldest: gauge(r, 'tiyuh_review_case_oldest_open_seconds', 'Age of the oldest open review case of each kecamatan.', ['kecamatan']),
    quarantine: gauge(r, 'tiyuh_quarantine_open', 'Records refused by validation, waiting for correction.', ['kind']),
    sourceLag: gauge(r, 'tiyuh_source_lag_seconds', 'Seconds since the source last synced successfully (NaN: never).', ['source']),
    sourceFailing: gauge(r, 'tiyuh_source_failing', '1 when the last sync of the source failed or its circuit is open.', ['source']),
    sourceWarning: gauge(r, 'tiyuh_source_warning', '1 when the latest finished sync of the source ended with a warning (zero rows, fewer rows than the server counts).', ['source', 'code']),
    jobs: gauge(r, 'tiyuh_pipeline_jobs', 'Pipeline jobs (batches of records) by stage and state.', ['stage', 'state']),
    backlog: new Gauge({ name: 'tiyuh_pipeline_backlog_records', help: 'Records accepted and not yet through the pipeline.', registers: [r] }),
    oldestRecord: new Gauge({ name: 'tiyuh_pipeline_oldest_waiting_seconds', help: 'Age of the oldest record not yet through the pipeline.', registers: [r] }),
    failing: new Gauge({ name: 'tiyuh_pipeline_records_failing', help: `Records the recovery sweep re-drove ${REDRIVE_CAP} times or more: a stage keeps failing on them.`, registers: [r] }),
  };

  app.get('/metrics', {
    preHandler: adminKey,
    schema: { summary: 'Prometheus metrics: backlogs and their ages, source lag, pipeline jobs, HTTP latency, process (admin key)', response: { 200: { type: 'string', description: 'text/plain; version=0.0.4 (Prometheus exposition)' } } },
  }, async (_req, reply) => {
    const regs = await rows<{ status: string; n: number }>(db, sql`select status, count(*)::int as n from registrations group by status order by status`);
    m.registrations(regs.map((x) => [{ status: x.status }, x.n]));
    const residents = await rows<{ status: string; n: number }>(db, sql`
      select status, count(*)::int as n from resident_records where deleted_at is null group by status order by status`);
    m.residents(residents.map((x) => [{ status: x.status }, x.n]));
    const [citizens] = await rows<{ n: number }>(db, sql`select count(*)::int as n from citizens where merged_into is null`);
    m.citizens([[{}, citizens?.n ?? 0]]);

    const deliveries = await rows<{ agency_code: string; status: string; n: number; oldest: number | null }>(db, sql`
      select agency_code, status, count(*)::int as n,
        extract(epoch from now() - min(created_at) filter (where status = 'waiting')) as oldest
      from deliveries where status in ('waiting', 'claimed') and cancelled_at is null
      group by agency_code, status order by agency_code, status`);
    m.agencyItems(deliveries.map((d) => [{ agency: d.agency_code, status: d.status }, d.n]));
    const cancelled = await rows<{ agency_code: string; n: number }>(db, sql`
      select agency_code, count(*)::int as n from deliveries where status = 'claimed' and cancelled_at is not null
      group by agency_code order by agency_code`);
    m.cancelled(cancelled.map((c) => [{ agency: c.agency_code }, c.n]));
    m.oldestWaiting(deliveries.filter((d) => d.status === 'waiting').map((d) => [{ agency: d.agency_code }, Math.round(Number(d.oldest ?? 0))]));

    const cases = await rows<{ kecamatan_code: string; n: number; oldest: number }>(db, sql`
      select kecamatan_code, count(*)::int as n, extract(epoch from now() - min(created_at)) as oldest
      from review_cases where status = 'open' group by kecamatan_code order by kecamatan_code`);
    m.casesOpen(cases.map((c) => [{ kecamatan: c.kecamatan_code }, c.n]));
    m.caseOldest(cases.map((c) => [{ kecamatan: c.kecamatan_code }, Math.round(Number(c.oldest))]));

    const quarantined = await rows<{ kind: string; n: number }>(db, sql`
      select kind, count(*)::int as n from quarantine where status = 'open' group by kind order by kind`);
    m.quarantine(quarantined.map((q) => [{ kind: q.kind }, q.n]));

    const sources = await sourceStatuses(deps.ctx);
    m.sourceLag(sources.map((s) => [{ source: s.id }, s.lagSeconds ?? Number.NaN]));
    m.sourceFailing(sources.map((s) => [{ source: s.id }, s.lastError || s.circuit === 'open' ? 1 : 0]));
    m.sourceWarning(sources.map((s) => [{ source: s.id, code: s.warning?.code ?? '' }, s.warning ? 1 : 0]));

    const jobs: Array<[Labels, number]> = [];
    for (const stage of STAGES) {
      const counts = await deps.queues.queues[stage].getJobCounts('waiting', 'active', 'delayed', 'failed');
      for (const [state, n] of Object.entries(counts)) jobs.push([{ stage, state }, n]);
    }
    m.jobs(jobs);

    // Backlog and stuck work (pipeline/backlog.ts): intake refuses past PIPELINE_BACKLOG_LIMIT; alert on failing > 0.
    const backlog = await readBacklog(db);
    m.backlog.set(backlog.records);
    m.oldestRecord.set(backlog.oldestSeconds);
    m.failing.set(backlog.failing);
    return reply.type(r.contentType).send(await r.metrics());
  });
};
