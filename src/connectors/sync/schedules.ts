import { sql } from 'drizzle-orm';
import { ConfigError, type SourceConfig } from '../../config/load.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { PULL_CONNECTORS } from '../registry.js';
import { checkedSettings } from '../settings.js';
import { syncQueueOf } from './queue.js';

export const SCHEDULE_TZ = 'Asia/Jakarta';

/**
 * Makes the `sync` queue's job schedulers equal to the enabled sources with a schedule: one scheduler per
 * source, its id the source id. Hub instances starting together register one after another (a Postgres
 * advisory lock held across the Redis calls), and an unchanged scheduler is left alone, so concurrent
 * boots neither double nor drop a schedule (BullMQ #2876, #2988) nor shift its next run.
 */
export async function registerSyncSchedules(ctx: PipelineContext, sources: SourceConfig[]): Promise<{ upserted: string[]; removed: string[] }> {
  const wanted = new Map<string, string>();
  sources.forEach((s, i) => {
    const connector = PULL_CONNECTORS[s.connector];
    if (!connector) {
      if (s.schedule) throw new ConfigError('config/sources.json', `/sources/${i}/schedule`, `connector "${s.connector}" is not a pull connector and cannot be scheduled`);
      return;
    }
    try {
      checkedSettings(connector.settingsSchema, s.settings);
    } catch (err) {
      throw new ConfigError('config/sources.json', `/sources/${i}/settings`, (err as Error).message.replace(/^SETTINGS_INVALID: /, ''));
    }
    if (s.enabled && s.schedule) wanted.set(s.id, s.schedule);
  });
  const queue = syncQueueOf(ctx.queues);
  const upserted: string[] = [];
  const removed: string[] = [];
  await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`tiyuh-sync-schedules:${ctx.queues.prefix}`}))`);
    const existing = new Map((await queue.getJobSchedulers(0, -1)).map((j) => [j.key, j]));
    for (const [id, pattern] of wanted) {
      const e = existing.get(id);
      if (e && e.pattern === pattern && e.tz === SCHEDULE_TZ) continue;
      try {
        await queue.upsertJobScheduler(id, { pattern, tz: SCHEDULE_TZ }, {
          name: 'trigger', data: { sourceId: id }, opts: { removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 24 * 3600 } },
        });
      } catch (err) {
        const i = sources.findIndex((s) => s.id === id);
        throw new ConfigError('config/sources.json', `/sources/${i}/schedule`, `"${pattern}" is not a cron pattern (${(err as Error).message})`);
      }
      upserted.push(id);
    }
    for (const key of existing.keys()) {
      if (!wanted.has(key)) { await queue.removeJobScheduler(key); removed.push(key); }
    }
  });
  return { upserted, removed };
}
