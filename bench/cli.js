#!/usr/bin/env node
/**
 * `npm run bench:cli`: how long a new user waits for the CLI and the embedded hub (issue 14 targets).
 * Times `--help`, a refused option, a first start on a new embedded data directory, `keys create`
 * against the running hub, and a restart, each as the median of a few runs, beside `node -e ""` as the
 * same-window baseline (the machine is shared and noisy). Options: --runs N (5), --port N (3450).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, port: { type: 'string', default: '3450' } } });
const runs = Number(values.runs);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/tiyuh-hub.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'tiyuh-bench-cli-'));
const prefix = `benchcli${process.pid}`;
const env = { ...process.env, DATA_DIR: dataDir, PORT: values.port, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
delete env.DATABASE_URL;

if (!existsSync(path.join(root, 'dist/.built-at'))) console.error('note: dist/ is not built (npm run build): the CLI runs through tsx, the slow path');

const seconds = (ns) => Number(ns) / 1e9;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(args, opts = {}) {
  const began = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err && !opts.mayFail) reject(new Error(`${args.join(' ')}: ${stderr || err.message}`));
      else resolve({ s: seconds(process.hrtime.bigint() - began), stdout, stderr, code: err ? err.code : 0 });
    });
  });
}

async function repeat(n, args, opts) {
  const all = [];
  for (let i = 0; i < n; i++) all.push((await time(args, opts)).s);
  return median(all);
}

/** Starts `serve` and answers when /health does, with the time it took and the start-up lines. */
async function start() {
  const began = process.hrtime.bigint();
  const child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c) => { err += c; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited: ${err}`);
    const ok = await fetch(`http://127.0.0.1:${values.port}/health`).then((r) => r.ok, () => false);
    if (ok && existsSync(path.join(dataDir, 'hub.json'))) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, exited, s: seconds(process.hrtime.bigint() - began), lines: err };
}

async function stop(hub) {
  hub.child.kill('SIGTERM');
  await hub.exited;
}

const rows = [];
const row = (what, s, target) => rows.push({ what, s, target });

try {
  const baseline = await repeat(runs, ['-e', '']);
  row('node -e "" (baseline)', baseline);
  row('tiyuh-hub --help', await repeat(runs, [bin, '--help']), 0.5);
  row('tiyuh-hub keys create --vilage x (refused)', await repeat(runs, [bin, 'keys', 'create', '--vilage', 'x'], { mayFail: true }), 0.5);

  const first = await start();
  row('first start, new embedded data dir (to /health)', first.s);
  const creates = [];
  for (let i = 0; i < runs; i++) {
    const r = await time([bin, 'keys', 'create', '--kecamatan', '18.12.01']);
    creates.push(r.s);
  }
  row('keys create, through the running hub', median(creates), 1);
  const key = (await time([bin, 'keys', 'create', '--kecamatan', '18.12.01'])).stdout.trim().split('\n').at(-1);
  await stop(first);

  row('keys create, no hub (opens the embedded database)', (await time([bin, 'keys', 'create', '--kecamatan', '18.12.01'])).s);

  const restarts = [];
  let last;
  for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
    last = await start();
    restarts.push(last.s);
    if (i < 2) await stop(last);
  }
  const status = await fetch(`http://127.0.0.1:${values.port}/v1/review-cases?kecamatan=181201`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
  await stop(last);
  row('hub restart on embedded data (to /health)', median(restarts), 5);

  const width = Math.max(...rows.map((r) => r.what.length));
  console.log(`\n${'what'.padEnd(width)}  median s  x baseline  target`);
  for (const r of rows) {
    const verdict = r.target === undefined ? '' : `<= ${r.target} s ${r.s <= r.target ? 'ok' : 'MISSED'}`;
    console.log(`${r.what.padEnd(width)}  ${r.s.toFixed(3).padStart(8)}  ${(r.s / baseline).toFixed(1).padStart(10)}  ${verdict}`);
  }
  console.log(`\nkey made through the hub, after ${restarts.length} restarts: HTTP ${status}`);
  console.log(`first start said:\n${first.lines.trim().split('\n').map((l) => `  ${l}`).join('\n')}`);
  console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; ${runs} runs each (restart: ${restarts.length})`);
} finally {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  } catch {
    // the hub may have used its own redis-server child
  }
  redis.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
}
