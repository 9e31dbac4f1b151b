/**
 * Prometheus metrics for the kabupaten's monitoring: how much waits where (pipeline stages, agency
 * queues, review cases, quarantine), for how long, and how far behind each village's source is, so
 * an unattended hub raises an alert before a village or an agency notices. Counts and ages only,
 * never personal data. Admin keys only (the scraper's bearer token).
 */
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { STAGES } from '../pipeline/queues.js';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { sourceStatuses } from './sources.js';
import { readBacklog, REDRIVE_CAP } from '../pipeline/backlog.js';

type Labels = Record<string, string>;

/** Prometheus text exposition (format 0.0.4): HELP and TYPE once per metric, then its samples. */
class Exposition {
  private readonly out: string[] = [];

  gauge(name: string, help: string, samples: Array<[Labels, number]>): void {
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
      this.out.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`);
    }
  }

  toString(): string {
    return `${this.out.join('\n')}\n`;
  }
}

export const metricsRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db } = deps;
  const adminKey = requireKey(deps.keys, deps.limiter, ['admin']);

  app.get('/metrics', {
    preHandler: adminKey,
    schema: { summary: 'Prometheus metrics: backlogs and their ages, source lag, pipeline jobs (admin key)' },
  }, async (_req, reply) => {
    const m = new Exposition();
    const regs = await rows<{ status: string; n: number }>(db, sql`select status, count(*)::int as n from registrations group by status order by status`);
    m.gauge('tiyuh_registrations', 'Registrations by status.', regs.map((r) => [{ status: r.status }, r.n]));
    const residents = await rows<{ status: string; n: number }>(db, sql`
      select status, count(*)::int as n from resident_records where deleted_at is null group by status order by status`);
    m.gauge('tiyuh_resident_records', 'Population records by status (deleted ones left out).', residents.map((r) => [{ status: r.status }, r.n]));
    const [citizens] = await rows<{ n: number }>(db, sql`select count(*)::int as n from citizens where merged_into is null`);
    m.gauge('tiyuh_citizens', 'Citizens (merged ones left out).', [[{}, citizens?.n ?? 0]]);

    const deliveries = await rows<{ agency_code: string; status: string; n: number; oldest: number | null }>(db, sql`
      select agency_code, status, count(*)::int as n,
        extract(epoch from now() - min(created_at) filter (where status = 'waiting')) as oldest
      from deliveries where status in ('waiting', 'claimed') and cancelled_at is null
      group by agency_code, status order by agency_code, status`);
    m.gauge('tiyuh_agency_items', 'Agency queue items waiting or claimed.', deliveries.map((d) => [{ agency: d.agency_code, status: d.status }, d.n]));
    const cancelled = await rows<{ agency_code: string; n: number }>(db, sql`
      select agency_code, count(*)::int as n from deliveries where status = 'claimed' and cancelled_at is not null
      group by agency_code order by agency_code`);
    m.gauge('tiyuh_agency_items_cancelled_unacked', 'Items an agency claimed that the village cancelled afterwards, not yet acknowledged.',
      cancelled.map((c) => [{ agency: c.agency_code }, c.n]));
    m.gauge('tiyuh_agency_oldest_waiting_seconds', 'Age of the oldest item waiting in each agency queue.',
      deliveries.filter((d) => d.status === 'waiting').map((d) => [{ agency: d.agency_code }, Math.round(Number(d.oldest ?? 0))]));

    const cases = await rows<{ kecamatan_code: string; n: number; oldest: number }>(db, sql`
      select kecamatan_code, count(*)::int as n, extract(epoch from now() - min(created_at)) as oldest
      from review_cases where status = 'open' group by kecamatan_code order by kecamatan_code`);
    m.gauge('tiyuh_review_cases_open', 'Suspected duplicate citizens waiting for kecamatan staff.', cases.map((c) => [{ kecamatan: c.kecamatan_code }, c.n]));
    m.gauge('tiyuh_review_case_oldest_open_seconds', 'Age of the oldest open review case of each kecamatan.',
      cases.map((c) => [{ kecamatan: c.kecamatan_code }, Math.round(Number(c.oldest))]));

    const quarantined = await rows<{ kind: string; n: number }>(db, sql`
      select kind, count(*)::int as n from quarantine where status = 'open' group by kind order by kind`);
    m.gauge('tiyuh_quarantine_open', 'Records refused by validation, waiting for correction.', quarantined.map((q) => [{ kind: q.kind }, q.n]));

    const sources = await sourceStatuses(deps.ctx);
    m.gauge('tiyuh_source_lag_seconds', 'Seconds since the source last synced successfully (NaN: never).',
      sources.map((s) => [{ source: s.id }, s.lagSeconds ?? Number.NaN]));
    m.gauge('tiyuh_source_failing', '1 when the last sync of the source failed or its circuit is open.',
      sources.map((s) => [{ source: s.id }, s.lastError || s.circuit === 'open' ? 1 : 0]));

    const jobs: Array<[Labels, number]> = [];
    for (const stage of STAGES) {
      const counts = await deps.queues.queues[stage].getJobCounts('waiting', 'active', 'delayed', 'failed');
      for (const [state, n] of Object.entries(counts)) jobs.push([{ stage, state }, n]);
    }
    m.gauge('tiyuh_pipeline_jobs', 'Pipeline jobs (batches of records) by stage and state.', jobs);

    // Backlog and stuck work (pipeline/backlog.ts): intake refuses past PIPELINE_BACKLOG_LIMIT; alert on failing > 0.
    const backlog = await readBacklog(db);
    m.gauge('tiyuh_pipeline_backlog_records', 'Records accepted and not yet through the pipeline.', [[{}, backlog.records]]);
    m.gauge('tiyuh_pipeline_oldest_waiting_seconds', 'Age of the oldest record not yet through the pipeline.', [[{}, backlog.oldestSeconds]]);
    m.gauge('tiyuh_pipeline_records_failing', `Records the recovery sweep re-drove ${REDRIVE_CAP} times or more: a stage keeps failing on them.`, [[{}, backlog.failing]]);
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(m.toString());
  });
};
