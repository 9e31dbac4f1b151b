import { rebuildStats, refreshStats, type RefreshResult } from '../../stats/refresh.js';
import { OperationError, type Operation } from './operation.js';

const busy = () => new OperationError('STATS_BUSY', {
  id: 'Proses lain sedang memperbarui statistik; coba lagi sebentar lagi.', en: 'Another process is refreshing the statistics; try again shortly.',
});

/** The statistics from the source tables again (after a restore, or to check the incremental figures). */
export const rebuildStatsOperation: Operation<Record<string, never>, RefreshResult> = {
  needs: 'database',
  async run(c) {
    const r = await rebuildStats(c.db, [...c.config.villages.keys()]);
    if (!r.ran) throw busy();
    return r;
  },
};

/** What changed since the last refresh, applied now instead of at the worker's next round. */
export const refreshStatsOperation: Operation<Record<string, never>, RefreshResult> = {
  needs: 'database',
  async run(c) {
    const r = await refreshStats(c.db, [...c.config.villages.keys()]);
    if (!r.ran) throw busy();
    return r;
  },
};
