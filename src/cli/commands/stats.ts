import { loadEnv } from '../../config/env.js';
import { invoke } from '../control/client.js';

/** `stats rebuild` (from the source tables) or `stats refresh` (what changed), through the running hub when one runs. */
export default async function stats(action: 'rebuild' | 'refresh'): Promise<number> {
  const r = await invoke(loadEnv(), action === 'rebuild' ? 'stats.rebuild' : 'stats.refresh', {});
  console.log(`statistics ${action === 'rebuild' ? 'rebuilt' : 'refreshed'}: ${r.citizens} citizens, ${r.villages} villages in ${r.ms} ms (${Object.entries(r.steps).map(([k, v]) => `${k} ${v} ms`).join(', ')})`);
  return 0;
}
