import { loadEnv } from '../../config/env.js';
import { invoke, runningHub } from '../control/client.js';

/** Starts a run now (the hub's workers do the pulling); --wait follows it to the end. Exit 1 when it fails or cannot start. */
export default async function sync(sourceId: string, opts: { wait?: boolean }): Promise<number> {
  const env = loadEnv();
  const r = await invoke(env, 'sync.start', { id: sourceId });
  if (r.status === 'unknown') { console.error(`unknown source "${sourceId}"`); return 1; }
  if (r.status === 'disabled') { console.error(`source "${sourceId}" is disabled or not a pull connector`); return 1; }
  if (r.status === 'circuit-open') { console.error(`source "${sourceId}" is paused after repeated failures until ${r.until}: ${r.reason}`); return 1; }
  if (r.status === 'running') { console.log(`run #${r.runId} of ${sourceId} is already running`); return 0; }
  if (r.status !== 'started') return 1;
  console.log(`run #${r.runId} of ${sourceId} started`);
  if (!runningHub(env)) {
    console.error(env.databaseUrl
      ? 'No hub runs on this data directory: the run is pulled by the workers of a hub (serve or worker) on this database.'
      : 'No hub runs on this data directory: the run is pulled when `tiyuh-hub serve` runs.');
  }
  if (!opts.wait) return 0;
  for (;;) {
    const run = await invoke(env, 'sync.state', { runId: r.runId });
    if (run && run.status !== 'running') {
      console.log(`run #${r.runId} ${run.status}: ${run.pages} pages, ${run.recordsAccepted} accepted, ${run.recordsQuarantined} quarantined${run.error ? `; ${run.error}` : ''}`);
      return run.status === 'succeeded' ? 0 : 1;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}
