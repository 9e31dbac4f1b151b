import type { Db } from '../../db/client.js';
import { rebuildStats, refreshStats, type RefreshResult, type StatsConfig } from '../../stats/refresh.js';
import { OperationError, type Operation } from './operation.js';

/** Both commands take the statistics lock; a refresher already holding it is a "try again", not a failure of the data. */
const statsOperation = (f: (db: Db, config: StatsConfig) => Promise<RefreshResult>): Operation<Record<string, never>, RefreshResult> => ({
  needs: 'database',
  async run(c) {
    const r = await f(c.db, c.config);
    if (!r.ran) {
      throw new OperationError('STATS_BUSY', {
        id: 'Proses lain sedang memperbarui statistik; coba lagi sebentar lagi.', en: 'Another process is refreshing the statistics; try again shortly.',
      });
    }
    return r;
  },
});

/** The statistics from the source tables again (after a restore, or to check the incremental figures). */
export const rebuildStatsOperation = statsOperation(rebuildStats);

/** What changed since the last refresh, applied now instead of at the worker's next round. */
export const refreshStatsOperation = statsOperation(refreshStats);
