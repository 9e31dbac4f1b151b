import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseLockedError, lockDataDir, type LockHolder } from '../../src/db/pgliteLock.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'tiyuh-lock-'));
const one = { command: 'tiyuh-hub test', longRunning: true };

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function staleLock(file: string, pid = deadPid()): LockHolder {
  const h: LockHolder = { pid, started: null, host: hostname(), command: 'tiyuh-hub serve', longRunning: true, since: '2026-01-01T00:00:00.000Z' };
  writeFileSync(file, JSON.stringify(h));
  return h;
}

t.test('a second owner is refused in Indonesian and English, naming the holder', async (t) => {
  const d = dir();
  const file = path.join(d, 'pglite.lock');
  const release = await lockDataDir(file, d, one);
  const err = await lockDataDir(file, d, { command: 'tiyuh-hub serve', longRunning: true }).catch((e: unknown) => e);
  t.ok(err instanceof DatabaseLockedError);
  const message = (err as Error).message;
  t.match(message, /sedang dipakai proses \d+ \(tiyuh-hub test/);
  t.match(message, /is in use by process \d+ \(tiyuh-hub test/);
  t.match(message, /hentikan dulu, atau pakai DATA_DIR lain/);
  release();
  t.notOk(existsSync(file), 'released: the file is gone');
  const again = await lockDataDir(file, d, one);
  again();
});

t.test('a lock left by a dead process is taken over', async (t) => {
  const d = dir();
  const file = path.join(d, 'pglite.lock');
  staleLock(file);
  const release = await lockDataDir(file, d, one);
  t.equal((JSON.parse(readFileSync(file, 'utf8')) as LockHolder).pid, process.pid);
  release();
});

t.test('a live one-shot holder is waited for, up to waitMs; a live server is refused at once', async (t) => {
  const d = dir();
  const file = path.join(d, 'pglite.lock');
  const sleeper = spawn('sleep', ['30']);
  t.teardown(() => { sleeper.kill(); });
  const h = staleLock(file, sleeper.pid!);
  writeFileSync(file, JSON.stringify({ ...h, longRunning: false }));
  let told = 0;
  const began = Date.now();
  const waited = await lockDataDir(file, d, { ...one, waitMs: 400, onWait: () => { told++; } }).catch((e: unknown) => e);
  t.ok(waited instanceof DatabaseLockedError, 'still held after the wait');
  t.ok(Date.now() - began >= 350, 'it waited');
  t.equal(told, 1, 'told once');
  t.match((waited as Error).message, /Wait for that command to finish/);
  writeFileSync(file, JSON.stringify(h));
  const quick = Date.now();
  const refused = await lockDataDir(file, d, { ...one, waitMs: 5_000 }).catch((e: unknown) => e);
  t.ok(refused instanceof DatabaseLockedError);
  t.ok(Date.now() - quick < 1_000, 'no wait for a server');
});

t.test('processes racing for one stale lock: exactly one wins', async (t) => {
  const d = dir();
  const file = path.join(d, 'pglite.lock');
  staleLock(file);
  const script = `
    const { lockDataDir } = await import(${JSON.stringify(path.resolve('src/db/pgliteLock.ts'))});
    await new Promise((r) => setTimeout(r, Number(process.env.AT) - Date.now()));
    try { await lockDataDir(${JSON.stringify(file)}, ${JSON.stringify(d)}, { command: 'race', longRunning: true }); console.log('won'); }
    catch (e) { console.log(e.code ?? e.message); }
    process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
  const at = String(Date.now() + 4_000);
  // Each holds on (a winner keeps its lock) until every one has answered, however late a loaded machine starts it.
  const children = [1, 2, 3, 4].map(() => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, AT: at } }));
  const answers = await Promise.all(children.map((child) => new Promise<string>((resolve) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('\n')) resolve(out.trim()); });
    child.on('exit', () => resolve(out.trim()));
  })));
  for (const c of children) c.stdin.end();
  t.same(answers.filter((a) => a === 'won').length, 1, answers.join(', '));
  t.same(answers.filter((a) => a === 'DATABASE_LOCKED').length, 3);
});
