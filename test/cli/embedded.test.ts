/**
 * The embedded default (PGlite under DATA_DIR) as a new user meets it: a hub runs, CLI commands go
 * through it, a second hub is refused, and nothing is lost across restarts (issue 14).
 */
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, eventually } from '../helpers/hub.js';

// PGlite creates its database at the first start: ~6 s on a quiet machine, 90 s seen with 2 cores shared by 20 processes.
t.setTimeout(900_000);

const BIN = path.resolve(import.meta.dirname, '../../bin/tiyuh-hub.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'tiyuh-embedded-'));
const prefix = `t${randomBytes(5).toString('hex')}`;
const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
delete env.DATABASE_URL;

t.teardown(async () => {
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const began = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, ms: Date.now() - began }));
  });
}

interface Served { child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }

/** The hub in this process (its supervisor has tests of its own); a second `serve` below runs supervised, as a user's would. */
async function serve(): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...env, TIYUH_SUPERVISOR: 'off' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const control = path.join(dataDir, 'hub.json');
  const url = await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
    if (!existsSync(control)) return null;
    const f = JSON.parse(readFileSync(control, 'utf8')) as { pid: number; url: string };
    return f.pid === child.pid ? f.url : null;
  }, 400_000, 100);
  return { child, url, stderr: () => err, exited };
}

async function stop(s: Served, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  s.child.kill(signal);
  await s.exited;
}

const kecamatanQueue = (url: string, key: string) =>
  fetch(`${url}/v1/review-cases?kecamatan=181201`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

t.test('one owner, the CLI through the running hub, nothing lost across restarts', async (t) => {
  const hub = await serve();
  t.teardown(() => { if (hub.child.exitCode === null) hub.child.kill('SIGKILL'); });
  t.match(hub.stderr(), /opening the embedded database in .*first start: creating it/, 'the first start says what it does');
  t.match(hub.stderr(), /creating tables \(migrations\)/);
  t.match(hub.stderr(), /ready at http/);
  t.equal(statSync(path.join(dataDir, 'hub.json')).mode & 0o777, 0o600, 'the control secret is readable by the hub\'s user only');

  const made = await cli('keys', 'create', '--kecamatan', '18.12.01');
  t.equal(made.code, 0, made.stderr);
  const key = made.stdout.trim().split('\n').at(-1)!;
  t.match(key, /^thk_/);
  t.equal(await kecamatanQueue(hub.url, key), 200, 'the running hub accepts the key the CLI made');

  const healthy = await cli('health', '--hub');
  t.equal(healthy.code, 0, `the container health check passes: ${healthy.stderr}`);
  t.match(healthy.stdout, /"status":"ready"/);

  const unknown = await cli('keys', 'create', '--kecamatan', '18.12.99');
  t.equal(unknown.code, 2, 'a refusal inside the hub comes back as a usage error');
  t.match(unknown.stderr, /Kecamatan "18.12.99" tidak dikenal/);
  t.match(unknown.stderr, /Unknown kecamatan "18.12.99"/);

  // import through the hub; its bad row is listed without the person's NIK or name.
  const file = path.join(dataDir, 'penduduk.csv');
  writeFileSync(file, 'nama;nik;jenis_kelamin;tanggallahir;alamat\r\nSITI RAHAYU;1812015708900003;2;17-08-1990;Jl. Lintas\r\n' +
    'BUDI SANTOSO;1812011399900007;1;13-13-1990;Jl. Lintas\r\n');
  const imported = await cli('import', file, '--village', '18.12.01.2002');
  t.equal(imported.code, 0, imported.stderr);
  t.match(imported.stderr, /import \[#+\] 2\/2 rows/, 'the progress bar, fed by the hub');
  t.match(imported.stdout, /import #\d+: 2 rows .*1 quarantined/);
  const listed = await cli('quarantine', 'list');
  t.equal(listed.code, 0, listed.stderr);
  t.match(listed.stderr, /1 of 1 quarantined records/);
  t.match(listed.stdout, /1812\*{8}0007/, 'the NIK masked');
  t.match(listed.stdout, /B\. S\./, 'the name as initials');
  t.notMatch(listed.stdout + listed.stderr, /1812011399900007|BUDI|SANTOSO/, 'no personal data on the terminal');

  // Every command that reads or changes data runs inside the hub: none is refused by the embedded lock.
  const adminMade = await cli('keys', 'create', '--admin', '--label', 'ops-hub');
  t.equal(adminMade.code, 0, adminMade.stderr);
  const hubAdmin = adminMade.stdout.trim().split('\n').at(-1)!;
  const hook = await cli('webhooks', 'set', '--agency', 'disdukcapil', '--url', 'http://127.0.0.1:9/hook', '--max-in-flight', '4');
  t.equal(hook.code, 0, hook.stderr);
  t.match(hook.stdout, /endpoint #(\d+) for disdukcapil created: http:\/\/127\.0\.0\.1:9\/hook/);
  const endpointId = /endpoint #(\d+)/.exec(hook.stdout)![1]!;
  const firstSecret = hook.stdout.trim().split('\n').at(-1)!;
  t.match(firstSecret, /^whsec_/, 'the secret alone on the last line');
  const seen = await fetch(`${hub.url}/v1/webhooks`, { headers: { authorization: `Bearer ${hubAdmin}` } }).then((r) => r.json()) as { items?: unknown[] } | unknown[];
  t.match(JSON.stringify(seen), /"url":"http:\/\/127\.0\.0\.1:9\/hook"/, 'the running hub serves the endpoint the CLI set');
  t.match((await cli('webhooks', 'list')).stdout, new RegExp(`#${endpointId}\\s+disdukcapil\\s+on\\s+http://127\\.0\\.0\\.1:9/hook`));
  const rotated = await cli('webhooks', 'rotate', endpointId, '--grace-hours', '2');
  t.equal(rotated.code, 0, rotated.stderr);
  t.not(rotated.stdout.trim().split('\n').at(-1), firstSecret, 'a new secret');
  const badAgency = await cli('webhooks', 'set', '--agency', 'tidak-ada', '--url', 'http://127.0.0.1:9/x');
  t.equal(badAgency.code, 2, 'refused inside the hub, as a usage error');
  t.match(badAgency.stderr, /AGENCY_UNKNOWN: Instansi "tidak-ada" tidak dikenal/);
  const badRotate = await cli('webhooks', 'rotate', '999999');
  t.equal(badRotate.code, 2);
  t.match(badRotate.stderr, /ENDPOINT_NOT_FOUND: Endpoint #999999 tidak ada/);
  t.equal((await cli('webhooks', 'redeliver', '--agency', 'disdukcapil')).code, 0);

  const dry = await cli('replay', '--from', 'route', '--village', '18.12.01.2002');
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /would replay 0 registration\(s\) from route[\s\S]*dry run: nothing changed/);
  const badReplay = await cli('replay', '--from', 'route', '--service', 'NOPE');
  t.equal(badReplay.code, 2);
  t.match(badReplay.stderr, /SERVICE_UNKNOWN: Layanan "NOPE" tidak ada di katalog/);
  const refreshed = await cli('stats', 'refresh');
  t.equal(refreshed.code, 0, refreshed.stderr);
  t.match(refreshed.stdout, /statistics refreshed: \d+ citizens, \d+ villages in \d+ ms/);
  t.equal((await cli('stats', 'rebuild')).code, 0, 'rebuild through the hub (the embedded database has one owner)');
  const estimated = await cli('identity-params', 'estimate', '--reason', 'uji');
  t.equal(estimated.code, 0, estimated.stderr);
  t.match(estimated.stdout, /parameter set (\d+) recorded \(hand values, \d+ records\)/, 'too few records to learn from: the hand values are recorded');
  const shown = await cli('identity-params', 'show');
  t.match(shown.stdout, /parameter set \d+: hand values from \d+ records, \S+ by cli:\S+ \(uji\)/, 'who asked and why');

  const second = await cli('serve');
  t.equal(second.code, 3, 'a second hub on the same data directory is refused');
  t.match(second.stderr, /Basis data tertanam di .* sedang dipakai proses \d+ \(tiyuh-hub serve/);
  t.match(second.stderr, /A hub already runs on this data directory: stop it first, or use another DATA_DIR/);
  t.equal(await kecamatanQueue(hub.url, key), 200, 'the running hub is untouched');

  await stop(hub);
  t.notOk(existsSync(path.join(dataDir, 'hub.json')), 'a stopped hub removes its control file');
  t.notOk(existsSync(path.join(dataDir, 'pglite.lock')), 'and its lock');
  t.equal((await cli('health', '--hub')).code, 1, 'no hub, not healthy');

  // No hub: the CLI opens the database itself.
  const offline = await cli('keys', 'create', '--admin', '--label', 'ops');
  t.equal(offline.code, 0, offline.stderr);
  const admin = offline.stdout.trim().split('\n').at(-1)!;

  const again = await serve();
  t.teardown(() => { if (again.child.exitCode === null) again.child.kill('SIGKILL'); });
  t.notMatch(again.stderr(), /first start/);
  t.equal(await kecamatanQueue(again.url, key), 200, 'the key made through the hub survived the restart');
  t.equal(await kecamatanQueue(again.url, admin), 200, 'so did the one made without a hub');

  // A hub that dies without cleaning up leaves its lock and control file: the next start takes over.
  await stop(again, 'SIGKILL');
  t.ok(existsSync(path.join(dataDir, 'pglite.lock')), 'the dead hub\'s lock is still there');
  const third = await serve();
  t.teardown(() => { if (third.child.exitCode === null) third.child.kill('SIGKILL'); });
  t.equal(await kecamatanQueue(third.url, key), 200);
  await stop(third);
});
