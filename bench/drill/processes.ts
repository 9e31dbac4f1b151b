/**
 * The hub as an operator runs it, for drills: `tiyuh-hub serve` and `tiyuh-hub worker` as child
 * processes (each its own supervisor and hub process), their output kept whole so it can be searched
 * for personal data afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/tiyuh-hub.js');

export interface HubProcess {
  name: string;
  supervisor: ChildProcess;
  /** Everything the processes wrote (supervisor and hub, stdout and stderr). */
  output: string[];
  /** The pid of the current hub process (the supervisor's child), from the supervisor's log. */
  hubPid(): number | null;
  /** Hub processes the supervisor started so far (1 + restarts). */
  starts(): number;
  /** Stops the supervisor (and so the hub) with SIGTERM; SIGKILL after 15 s. */
  stop(): Promise<void>;
}

export function spawnHub(name: string, command: 'serve' | 'worker', env: Record<string, string>): HubProcess {
  const supervisor = spawn(process.execPath, [BIN, command], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const pids: number[] = [];
  const take = (chunk: Buffer) => {
    const text = chunk.toString();
    output.push(text);
    for (const m of text.matchAll(/"pid":(\d+),"restarts":\d+,"msg":"supervisor started the hub process"/g)) pids.push(Number(m[1]));
  };
  supervisor.stdout!.on('data', take);
  supervisor.stderr!.on('data', take);
  return {
    name, supervisor, output,
    hubPid: () => pids[pids.length - 1] ?? null,
    starts: () => pids.length,
    stop: () => new Promise((resolve) => {
      if (supervisor.exitCode !== null || supervisor.signalCode !== null) { resolve(); return; }
      const hard = setTimeout(() => supervisor.kill('SIGKILL'), 15_000);
      supervisor.once('exit', () => { clearTimeout(hard); resolve(); });
      supervisor.kill('SIGTERM');
    }),
  };
}

export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => null);
    if (v) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the API answers /health; the ms it took. */
export async function waitForApi(url: string, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  await waitFor('API answers', async () => (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).ok, timeoutMs, 100);
  return Date.now() - started;
}

/** Sends SIGKILL to the hub process (not its supervisor) and waits for the supervisor to start another. */
export async function killHub(p: HubProcess, timeoutMs = 60_000): Promise<void> {
  const pid = p.hubPid();
  if (!pid) throw new Error(`${p.name}: no hub process to kill`);
  const before = p.starts();
  process.kill(pid, 'SIGKILL');
  await waitFor(`${p.name} restarted by its supervisor`, async () => p.starts() > before, timeoutMs, 100);
}
