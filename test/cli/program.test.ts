import t from 'tap';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { main } from '../../src/cli/main.js';

/** Runs the CLI in this process with stdout and stderr captured (nothing here reaches a database). */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const grab = (sink: string[]) => ((chunk: string | Uint8Array) => { sink.push(String(chunk)); return true; }) as typeof process.stdout.write;
  const [o, e] = [process.stdout.write, process.stderr.write];
  process.stdout.write = grab(out);
  process.stderr.write = grab(err);
  try {
    const code = await main(argv);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

t.test('bare tiyuh-hub prints the help and succeeds', async (t) => {
  const r = await run();
  t.equal(r.code, 0);
  t.match(r.out, /Usage: tiyuh-hub <command> \[options\]/);
  for (const c of ['serve', 'keys', 'tokens', 'import', 'sources', 'sync', 'quarantine', 'dedup']) t.match(r.out, new RegExp(`\\n  ${c}\\b`), c);
});

t.test('each command has its own help with its options', async (t) => {
  const keys = await run('keys', '--help');
  t.equal(keys.code, 0);
  t.match(keys.out, /Usage: tiyuh-hub keys \[options\] \[command\]/);
  t.match(keys.out, /create \[options\]/);
  const create = await run('keys', 'create', '--help');
  t.equal(create.code, 0);
  for (const o of ['--village <code>', '--kecamatan <code>', '--agency <code>', '--admin', '--label <text>']) t.ok(create.out.includes(o), o);
  const imp = await run('help', 'import');
  t.equal(imp.code, 0);
  t.match(imp.out, /Usage: tiyuh-hub import \[options\] <file>/);
  t.match(imp.out, /--village <code>/);
  t.match((await run('quarantine', 'list', '--help')).out, /--status <status>[\s\S]*"replayed"[\s\S]*default: "open"/);
  // The commands added by the MPP, statistics and identity issues have commander's help too.
  const hooks = await run('webhooks', 'set', '--help');
  t.equal(hooks.code, 0);
  for (const o of ['--agency <code>', '--kecamatan <code>', '--village <code>', '--url <url>', '--max-in-flight <n>']) t.ok(hooks.out.includes(o), o);
  t.match((await run('webhooks', '--help')).out, /set \[options\][\s\S]*list[\s\S]*rotate \[options\] <endpointId>[\s\S]*redeliver/);
  t.match((await run('replay', '--help')).out, /--from <stage>[\s\S]*"identify",\s+"route"[\s\S]*--error-code <code>[\s\S]*--yes/);
  t.match((await run('stats', '--help')).out, /Usage: tiyuh-hub stats \[options\] <action>[\s\S]*"rebuild", "refresh"/);
  t.match((await run('identity-params', 'estimate', '--help')).out, /--reason <text>[\s\S]*--explain/);
});

t.test('the commands that run as operations refuse a bad value before they reach a database', async (t) => {
  const since = await run('replay', '--from', 'route', '--since', 'kemarin');
  t.equal(since.code, 2);
  t.match(since.err, /option '--since <time>' argument 'kemarin' is invalid\. must be a date or time in ISO 8601/);
  const noFrom = await run('replay');
  t.equal(noFrom.code, 2);
  t.match(noFrom.err, /required option '--from <stage>' not specified/);
  const grace = await run('webhooks', 'rotate', '3', '--grace-hours', '500');
  t.equal(grace.code, 2);
  t.match(grace.err, /must be 0–168/);
  const both = await run('webhooks', 'set', '--agency', 'pdam', '--village', '18.12.01.2002', '--url', 'http://x');
  t.equal(both.code, 2);
  t.match(both.err, /cannot be used with option/);
  t.equal((await run('stats', 'hapus')).code, 2);
});

t.test('mistakes are refused at once with what was wrong and where to look', async (t) => {
  const typo = await run('keys', 'create', '--vilage', '18.12.01.2002');
  t.equal(typo.code, 2);
  t.match(typo.err, /unknown option '--vilage'/);
  t.match(typo.err, /Did you mean --village\?/);
  t.match(typo.err, /add --help/);
  const both = await run('keys', 'create', '--village', '18.12.01.2002', '--admin');
  t.equal(both.code, 2);
  t.match(both.err, /cannot be used with option '--admin'/);
  const none = await run('keys', 'create');
  t.equal(none.code, 2);
  t.match(none.err, /give one of --village, --kecamatan, --agency or --admin/);
  const command = await run('serv');
  t.equal(command.code, 2);
  t.match(command.err, /unknown command 'serv'/);
  const number = await run('quarantine', 'list', '--limit', 'x');
  t.equal(number.code, 2);
  t.match(number.err, /'--limit <n>' argument 'x' is invalid/);
  const missing = await run('import', 'file.csv');
  t.equal(missing.code, 2);
  t.match(missing.err, /--village is required for a residents import/, 'a residents import still needs its village (aid kinds take it per row)');
});

t.test('the installed bin: bare call exits 0, an unknown option exits 2', async (t) => {
  const bin = path.resolve(import.meta.dirname, '../../bin/tiyuh-hub.js');
  const call = (...a: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...a], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
  const bare = await call();
  t.equal(bare.code, 0);
  t.match(bare.stdout, /Usage: tiyuh-hub/);
  const bad = await call('sources', '--bogus');
  t.equal(bad.code, 2);
  t.match(bad.stderr, /unknown option '--bogus'/);
});
