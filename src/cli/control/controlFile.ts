/**
 * How a CLI process finds the hub that runs on its data directory: the hub writes its URL and a fresh
 * secret to <DATA_DIR>/hub.json (mode 0600, so only the hub's own user can drive it) once it listens,
 * and removes the file when it stops.
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ControlFile {
  pid: number;
  /** Where the CLI reaches the hub (a wildcard listen address is reached on loopback). */
  url: string;
  secret: string;
  /** The hub's database, so a CLI pointed at another database does not use this hub. */
  database: string;
  startedAt: string;
}

export const controlPath = (dataDir: string) => path.join(dataDir, 'hub.json');

export function writeControlFile(dataDir: string, file: ControlFile): void {
  const target = controlPath(dataDir);
  const tmp = `${target}.${process.pid}.tmp`;
  // With DATABASE_URL nothing else creates DATA_DIR.
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, target);
}

export function readControlFile(dataDir: string): ControlFile | null {
  try {
    const f = JSON.parse(readFileSync(controlPath(dataDir), 'utf8')) as ControlFile;
    return typeof f.url === 'string' && typeof f.secret === 'string' && Number.isInteger(f.pid) ? f : null;
  } catch {
    return null;
  }
}

/** Removes the file if it is still this hub's (a newer hub may have replaced it). */
export function removeControlFile(dataDir: string, secret: string): void {
  if (readControlFile(dataDir)?.secret !== secret) return;
  try {
    unlinkSync(controlPath(dataDir));
  } catch {
    // already gone
  }
}

/** The address a local client uses for what the server listens on. */
export function loopbackUrl(listening: string): string {
  const u = new URL(listening);
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = '127.0.0.1';
  return u.origin;
}

/** Which database a process uses, comparable between the hub and a CLI (no credentials). */
export function databaseIdentity(databaseUrl: string | undefined, dataDir: string): string {
  if (!databaseUrl) return `pglite:${path.join(path.resolve(dataDir), 'pglite')}`;
  const u = new URL(databaseUrl);
  return `postgres:${u.hostname}:${u.port || 5432}${u.pathname}`;
}
