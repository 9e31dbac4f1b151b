/**
 * One process at a time owns an embedded PGlite data directory: PGlite has no lock of its own, and two
 * processes writing the same directory lose each other's commits (issue 14: a key created by the CLI
 * while the demo ran was refused, then gone after a restart).
 *
 * The lock is a file created with O_EXCL holding the owner's pid. A lock whose process is gone (killed,
 * machine rebooted) is stale and taken over; the takeover itself runs under a second O_EXCL file so two
 * processes finding the same stale lock cannot both win.
 */
import { closeSync, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

export interface LockHolder {
  pid: number;
  /** The process's start time in clock ticks after boot (Linux), so a recycled pid is not taken for the owner. */
  started: string | null;
  host: string;
  /** What the holder runs, e.g. `tiyuh-hub serve`. */
  command: string;
  /** A server keeps the database until stopped; a one-shot command lets go in seconds. */
  longRunning: boolean;
  since: string;
}

export class DatabaseLockedError extends Error {
  readonly code = 'DATABASE_LOCKED';
  constructor(readonly dir: string, readonly holder: LockHolder) {
    const since = holder.since.slice(0, 19).replace('T', ' ');
    const who = `${holder.pid}${holder.host !== hostname() ? ` @ ${holder.host}` : ''}`;
    super([
      `Basis data tertanam di ${dir} sedang dipakai proses ${who} (${holder.command}, sejak ${since} UTC).`,
      holder.longRunning
        ? 'Hub sudah berjalan pada direktori data ini: hentikan dulu, atau pakai DATA_DIR lain. Perintah CLI (keys, tokens, import ...) lewat hub yang berjalan itu.'
        : 'Tunggu perintah itu selesai, lalu ulangi.',
      `The embedded database at ${dir} is in use by process ${who} (${holder.command}, since ${since} UTC).`,
      holder.longRunning
        ? 'A hub already runs on this data directory: stop it first, or use another DATA_DIR. CLI commands (keys, tokens, import ...) go through that running hub.'
        : 'Wait for that command to finish, then try again.',
    ].join('\n'));
  }
}

/** Field 22 of /proc/<pid>/stat; null where there is no /proc. */
function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Lock files this process holds: a second open in the same process is refused like any other. */
const held = new Set<string>();

function alive(file: string, h: LockHolder): boolean {
  if (h.host !== hostname()) return true; // another machine's process (shared disk): we cannot tell, so assume it runs
  if (h.pid === process.pid) return held.has(file); // else our pid from an earlier life (pid 1 in a restarted container)
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = startTicks(h.pid);
  return !(h.started && now && now !== h.started);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The holder recorded in `file`, `null` while its writer is between create and write, `undefined` when there is no file. */
function readHolder(file: string): { raw: string; holder: LockHolder | null } | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(raw) as LockHolder;
    return { raw, holder: Number.isInteger(h.pid) ? h : null };
  } catch {
    return { raw, holder: null };
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function createExclusive(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Removes the stale lock `seen` unless someone replaced it meanwhile; true when the caller may try again at once. */
async function takeOver(file: string, seen: string): Promise<boolean> {
  const mutex = `${file}.takeover`;
  if (!createExclusive(mutex, String(process.pid))) {
    // Another process is taking over right now (milliseconds); a mutex left by a process that died mid-takeover is old.
    if (ageMs(mutex) > 10_000) unlinkSync(mutex);
    await sleep(20);
    return true;
  }
  try {
    if (readHolder(file)?.raw === seen) unlinkSync(file);
  } finally {
    unlinkSync(mutex);
  }
  return true;
}

export interface LockOptions {
  command: string;
  longRunning: boolean;
  /** How long to wait for a one-shot command holding the lock (a server holding it is refused at once). */
  waitMs?: number;
  /** Told once when the lock is held by a one-shot command and we wait. */
  onWait?: (holder: LockHolder) => void;
}

/** Takes the lock at `file` for this process; the returned function lets it go (also done at process exit). */
export async function lockDataDir(lockFile: string, dir: string, opts: LockOptions): Promise<() => void> {
  const file = path.resolve(lockFile);
  const me: LockHolder = {
    pid: process.pid, started: startTicks(process.pid), host: hostname(), command: opts.command,
    longRunning: opts.longRunning, since: new Date().toISOString(),
  };
  const content = JSON.stringify(me);
  const until = Date.now() + (opts.waitMs ?? 0);
  let told = false;
  for (;;) {
    if (createExclusive(file, content)) break;
    const seen = readHolder(file);
    if (seen === undefined) continue; // released between our create and our read
    if (seen.holder === null) {
      // A writer between create and write, or one that died there.
      if (ageMs(file) < 5_000) { await sleep(20); continue; }
      await takeOver(file, seen.raw);
      continue;
    }
    if (!alive(file, seen.holder)) { await takeOver(file, seen.raw); continue; }
    if (seen.holder.longRunning || Date.now() >= until) throw new DatabaseLockedError(dir, seen.holder);
    if (!told) { opts.onWait?.(seen.holder); told = true; }
    await sleep(100);
  }
  held.add(file);
  let holding = true;
  const release = () => {
    if (!holding) return;
    holding = false;
    held.delete(file);
    process.off('exit', release);
    if (readHolder(file)?.raw === content) unlinkSync(file);
  };
  process.on('exit', release);
  return release;
}
