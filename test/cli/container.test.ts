/**
 * Dockerfile and compose.yaml: built and started when a Docker engine (with compose) answers here,
 * otherwise checked as files: what a kabupaten server needs is there, and every command, option,
 * variable and file they name exists in this repository.
 */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadEnv } from '../../src/config/env.js';
import { main } from '../../src/cli/main.js';

const root = path.resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const composeText = readFileSync(path.join(root, 'compose.yaml'), 'utf8');

interface Service {
  image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; volumes?: string[];
  healthcheck?: { test: string[]; interval?: string }; restart?: string; depends_on?: Record<string, { condition: string }>;
  ports?: string[]; stop_grace_period?: string;
}
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

/** ${VAR:-default} and ${VAR:?message} as compose fills them, with POSTGRES_PASSWORD set. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_m, name: string, kind: string, rest: string) =>
    name === 'POSTGRES_PASSWORD' ? 'secret' : kind === '-' ? rest : '');
}

/** Runs the CLI in-process with output swallowed; its exit code. */
async function cliExit(...argv: string[]): Promise<number> {
  const [o, e] = [process.stdout.write, process.stderr.write];
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await main(argv);
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

t.test('compose.yaml runs hub, worker, Postgres and Redis as a kabupaten server would', async (t) => {
  const s = compose.services;
  t.same(Object.keys(s).sort(), ['hub', 'postgres', 'redis', 'worker']);
  for (const [name, svc] of Object.entries(s)) {
    t.ok(['always', 'unless-stopped'].includes(svc.restart ?? ''), `${name} restarts after a crash or a reboot`);
    t.ok(svc.healthcheck?.test?.length, `${name} has a health check`);
  }
  const namedVolume = (svc: Service, target: string) => (svc.volumes ?? []).some((v) => {
    const [source, into] = v.split(':');
    return into === target && Object.hasOwn(compose.volumes, source!);
  });
  t.ok(namedVolume(s.postgres!, '/var/lib/postgresql/data'), 'Postgres data in a named volume');
  t.ok(namedVolume(s.redis!, '/data'), 'Redis AOF in a named volume');
  t.ok(namedVolume(s.hub!, '/var/lib/tiyuh-hub'), 'the hub\'s DATA_DIR in a named volume');

  const redis = s.redis!.command!.join(' ');
  t.match(redis, /--appendonly yes/, 'Redis keeps its queues on disk (AOF)');
  t.match(redis, /--maxmemory-policy noeviction/, 'and never evicts a queued job');
  t.match(s.postgres!.environment!.POSTGRES_PASSWORD!, /^\$\{POSTGRES_PASSWORD:\?/, 'no default database password');

  t.same(s.hub!.command, ['serve']);
  t.same(s.worker!.command, ['worker']);
  t.equal(s.worker!.depends_on?.hub?.condition, 'service_healthy', 'workers start after the hub has migrated');
  for (const name of ['hub', 'worker']) {
    t.equal(s[name]!.depends_on?.postgres?.condition, 'service_healthy', `${name} waits for Postgres`);
    t.equal(s[name]!.depends_on?.redis?.condition, 'service_healthy', `${name} waits for Redis`);
    const env = Object.fromEntries(Object.entries(s[name]!.environment!).map(([k, v]) => [k, interpolate(String(v))]));
    t.equal(env.DATABASE_URL, 'postgres://tiyuh:secret@postgres:5432/tiyuh', `${name} uses the postgres service`);
    t.equal(env.REDIS_URL, 'redis://redis:6379', `${name} uses the redis service`);
    t.doesNotThrow(() => loadEnv(env), `${name}'s environment is one the hub accepts`);
    // Every variable set is one the hub reads (a misspelt one would be ignored silently).
    for (const key of Object.keys(env)) t.ok(new RegExp(`\\b${key}\\b`).test(readFileSync(path.join(root, 'src/config/env.ts'), 'utf8')), `${name}: ${key} is read by the hub`);
    const check = s[name]!.healthcheck!.test;
    t.equal(check[0], 'CMD');
    t.equal(check[1], 'tiyuh-hub');
    t.equal(await cliExit(...check.slice(2), '--help'), 0, `${name}'s health check is a real command: ${check.slice(1).join(' ')}`);
  }
  t.equal(s.hub!.healthcheck!.test.at(-1), '--hub', 'the hub is healthy only once its own API answers');
  t.match(s.hub!.ports?.[0] ?? '', /:3000$/);
  t.equal(s.hub!.environment!.HOST, '0.0.0.0', 'the hub listens beyond the container');
  t.ok(s.hub!.build !== undefined && s.worker!.image === s.hub!.image, 'one image, built from this repository');
});

t.test('Dockerfile: multi-stage, node 20 slim, compiled dist, non-root, health check', async (t) => {
  const lines = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.filter((l) => /^FROM /i.test(l));
  t.ok(stages.length >= 2, 'a build stage and a runtime stage');
  for (const st of stages) t.match(st, /^FROM node:20[-.\w]*slim\b/, 'node 20 slim');
  const last = lines.slice(lines.lastIndexOf(stages.at(-1)!));
  t.ok(last.some((l) => /^COPY --from=build \/app\/dist /.test(l)), 'the runtime stage gets the compiled dist/');
  t.notOk(last.some((l) => /^COPY (\.\/)?src\b/.test(l)), 'and no TypeScript sources (nothing for tsx to run)');
  const user = last.filter((l) => /^USER /.test(l)).at(-1);
  t.ok(user && !/^USER (root|0)\b/.test(user), `runs as a non-root user (${user})`);
  t.ok(last.some((l) => /^HEALTHCHECK /.test(l)), 'a health check');
  t.ok(last.some((l) => /^CMD \["serve"\]/.test(l)), 'serves by default');
  t.ok(lines.some((l) => /node bin\/build\.js/.test(l)), 'compiled with the same build as npm ci');
  // Every file it copies from the context exists, and .dockerignore keeps the host's build out.
  for (const l of lines.filter((x) => /^COPY (?!--from)/.test(x))) {
    for (const src of l.split(/\s+/).slice(1, -1)) t.ok(existsSync(path.join(root, src)), `${src} exists`);
  }
  const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
  for (const p of ['node_modules', 'dist', 'data']) t.ok(ignored.includes(p), `.dockerignore: ${p}`);
});

// With an engine, build and run it for real; this machine has only the docker client.
const engine = spawnSync('docker', ['info'], { encoding: 'utf8', timeout: 20_000 }).status === 0;
const composePlugin = engine && spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
t.test(`with a Docker engine: ${engine ? 'build and start' : 'none answers here, the files were checked above'}`, { timeout: 900_000 }, async (t) => {
  if (!engine) {
    t.pass('docker info: no engine');
    return;
  }
  execFileSync('docker', ['build', '-t', 'tiyuh-hub:test', root], { stdio: 'inherit', timeout: 800_000 });
  t.equal(spawnSync('docker', ['run', '--rm', 'tiyuh-hub:test', '--help']).status, 0, 'the image runs the compiled CLI');
  if (!composePlugin) return;
  const project = `tiyuhtest${process.pid}`;
  const env = { ...process.env, POSTGRES_PASSWORD: 'test-only', HUB_PORT: '3460' };
  const dc = (...a: string[]) => spawnSync('docker', ['compose', '-p', project, '-f', path.join(root, 'compose.yaml'), ...a], { env, encoding: 'utf8', timeout: 600_000 });
  t.teardown(() => { dc('down', '-v'); });
  const up = dc('up', '-d', '--build', '--wait');
  t.equal(up.status, 0, up.stderr);
  const ready = await fetch('http://127.0.0.1:3460/ready');
  t.equal(ready.status, 200);
  const key = dc('exec', '-T', 'hub', 'tiyuh-hub', 'keys', 'create', '--kecamatan', '18.12.01');
  t.equal(key.status, 0, key.stderr);
});
