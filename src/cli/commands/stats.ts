import { loadEnv } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import { openDatabase } from '../../db/client.js';
import { rebuildStats, refreshStats } from '../../stats/refresh.js';
import { UsageError } from '../usage.js';

const USAGE = 'tiyuh-hub stats rebuild | stats refresh';

/** Rebuilds the statistics from the source tables (after a restore, or to check the incremental figures). */
export default async function stats(argv: string[]): Promise<number> {
  const action = argv[0];
  if (action !== 'rebuild' && action !== 'refresh') throw new UsageError(USAGE);
  const env = loadEnv();
  const config = loadConfig(env.configDir);
  const database = await openDatabase(env.databaseUrl, env.dataDir, { max: 1 });
  try {
    await database.migrate();
    const villages = [...config.villages.keys()];
    const r = action === 'rebuild' ? await rebuildStats(database.db, villages) : await refreshStats(database.db, villages);
    if (!r.ran) { console.log('another process is refreshing the statistics; try again shortly'); return 1; }
    console.log(`statistics ${action === 'rebuild' ? 'rebuilt' : 'refreshed'}: ${r.citizens} citizens, ${r.villages} villages in ${r.ms} ms (${Object.entries(r.steps).map(([k, v]) => `${k} ${v} ms`).join(', ')})`);
  } finally {
    await database.close();
  }
  return 0;
}
