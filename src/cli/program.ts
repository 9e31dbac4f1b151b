/**
 * The command line: every command, its options and its help, with commander. Only commander is loaded
 * here; a command's code (and the database drivers) is imported when the command runs, so `--help` and
 * a mistyped option answer in a fraction of a second.
 */
import { Argument, Command, InvalidArgumentError, Option } from 'commander';

type Module = Record<string, unknown>;

/** Where an action leaves its exit code for main(). */
export interface Outcome { exitCode: number }
let outcome: Outcome = { exitCode: 0 };

/** An action that imports its command module on demand and keeps the exit code it answers. */
function run<M extends Module>(load: () => Promise<M>, fn: keyof M & string) {
  return async (...args: unknown[]) => {
    const mod = await load();
    const f = mod[fn] as (...a: unknown[]) => Promise<number>;
    // commander passes (positionals..., options, command): the command object stays here.
    outcome.exitCode = await f(...args.slice(0, -1));
  };
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number.');
  return n;
}

function positiveNumber(value: string): number {
  const n = wholeNumber(value);
  if (n < 1) throw new InvalidArgumentError('must be 1 or more.');
  return n;
}

function inRange(min: number, max: number) {
  return (value: string): number => {
    const n = wholeNumber(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be ${min}–${max}.`);
    return n;
  };
}

function isoTime(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('must be a date or time in ISO 8601 (2026-12-01 or 2026-12-01T08:00:00+07:00).');
  return new Date(value).toISOString();
}

const ENVIRONMENT = `
Environment: DATABASE_URL (unset: embedded PostgreSQL under DATA_DIR), REDIS_URL, DATA_DIR (./data),
CONFIG_DIR (./config), PORT (3000), HOST (127.0.0.1), LOG_LEVEL (info). Commands that read or change data
run inside the hub that runs on the same DATA_DIR and database (found through DATA_DIR/hub.json), or open
the database themselves when none runs.`;

export function buildProgram(into: Outcome): Command {
  outcome = into;
  const program = new Command('tiyuh-hub')
    .description('Tiyuh Hub: village data of Kabupaten Tulang Bawang Barat, validated, deduplicated and routed to the MPP agencies.')
    .usage('<command> [options]')
    .exitOverride()
    .showHelpAfterError('(add --help for the command\'s usage and options)')
    .showSuggestionAfterError(true)
    .helpCommand('help [command]', 'show a command\'s usage and options')
    .addHelpText('after', ENVIRONMENT);

  program.command('serve')
    .description('run the API and the pipeline workers (npm start)')
    .action(run(() => import('./commands/serve.js'), 'default'));

  program.command('worker')
    .description('run the pipeline workers only (scale out; needs DATABASE_URL: the embedded database has one owner)')
    .action(run(() => import('./commands/worker.js'), 'default'));

  program.command('migrate')
    .description('apply database migrations (also done at every start)')
    .action(run(() => import('./commands/migrate.js'), 'default'));

  program.command('demo')
    .description('start the hub on embedded defaults with simulated tiyuh, demo keys and curl commands to paste')
    .action(run(() => import('./commands/demo.js'), 'default'));

  program.command('health')
    .description('a container health check: the running hub\'s /ready, or (a worker) whether DATABASE_URL and REDIS_URL answer; exit 1 when not')
    .option('--hub', 'the hub on this data directory must answer (for the hub\'s own container)')
    .action(run(() => import('./commands/health.js'), 'default'));

  const keys = program.command('keys').description('API keys for villages, kecamatan staff, agencies and administrators');
  keys.command('create')
    .description('make an API key; it is shown once, alone on the last line (scripts can take `tail -1`)')
    .addOption(new Option('--village <code>', 'a village\'s key (18.12.01.2002): pushes its registrations and residents').conflicts(['agency', 'admin']))
    .addOption(new Option('--kecamatan <code>', 'a kecamatan\'s key (18.12.01): review cases, quarantine, sources; with --agency, the agency\'s kecamatan office').conflicts(['village', 'admin']))
    .addOption(new Option('--agency <code>', 'an MPP agency\'s key (disdukcapil): its queue').conflicts(['village', 'admin']))
    .addOption(new Option('--admin', 'an administrator\'s key (every region)').conflicts(['village', 'kecamatan', 'agency']))
    .option('--label <text>', 'who holds the key, shown in the audit log')
    .addHelpText('after', '\nExamples:\n  tiyuh-hub keys create --village 18.12.01.2002\n  tiyuh-hub keys create --agency disdukcapil --kecamatan 18.12.01\n  tiyuh-hub keys create --kecamatan 18.12.01')
    .action(run(() => import('./commands/keys.js'), 'createKeyCommand'));

  const tokens = program.command('tokens').description('OpenDK-compatible tokens for OpenSID\'s "Kirim ke OpenDK"');
  tokens.command('create')
    .description('make a token to paste into OpenSID (Pengaturan > OpenDK), with this hub\'s URL as the OpenDK server')
    .addOption(new Option('--kecamatan <code>', 'serves every village of the kecamatan, as OpenDK\'s token does').conflicts('village'))
    .addOption(new Option('--village <code>', 'serves one village').conflicts('kecamatan'))
    .option('--label <text>', 'who holds the token')
    .action(run(() => import('./commands/keys.js'), 'createTokenCommand'));

  program.command('import')
    .description('import a village\'s residents from a CSV or XLSX file (OpenSID export headers or ours), with a progress bar; or, with --kind, aid programs or participants')
    .argument('<file>', 'the CSV or XLSX file')
    .addOption(new Option('--kind <kind>', 'what the file holds').choices(['residents', 'aid-programs', 'aid-participants']).default('residents'))
    .option('--village <code>', 'the village the file belongs to (18.12.01.2002); required for residents, for aid the village of rows that name none')
    .option('--errors <file.csv>', 'write each row\'s errors and warnings to this CSV')
    .action(run(() => import('./commands/import.js'), 'default'));

  const sources = program.command('sources').description('the villages\' connectors: how far behind each is and why');
  sources.command('list', { isDefault: true })
    .description('each source\'s last success, lag, records and last error (the default)')
    .option('--json', 'as JSON')
    .action(run(() => import('./commands/sources.js'), 'list'));
  sources.command('check')
    .description('can the hub reach the source\'s server and log in (exit 1 with the connector\'s code when not)')
    .argument('<sourceId>')
    .option('--json', 'as JSON')
    .action(run(() => import('./commands/sources.js'), 'check'));

  program.command('sync')
    .description('start a pull of a source now (the hub\'s workers pull)')
    .argument('<sourceId>')
    .option('--wait', 'follow the run to its end; exit 1 when it fails')
    .action(run(() => import('./commands/sync.js'), 'default'));

  const users = program.command('users').description('console staff accounts (Konsol Petugas)');
  users.command('create')
    .description('make a staff user; the one-time password is shown once, alone on the last line')
    .addOption(new Option('--role <role>', 'admin (kabupaten), kecamatan, instansi (an agency desk) or tiyuh (one village)').choices(['admin', 'kecamatan', 'instansi', 'tiyuh']).makeOptionMandatory())
    .option('--region <code>', 'the kecamatan (18.12.01) or village (18.12.01.2002) the user works for; none for admin')
    .option('--agency <code>', 'the agency of an instansi user (disdukcapil)')
    .requiredOption('--name <text>', 'full name, shown in the audit log')
    .requiredOption('--username <name>', 'login name')
    .addHelpText('after', '\nExamples:\n  tiyuh-hub users create --role kecamatan --region 18.12.01 --name "Siti Rahma" --username siti\n  tiyuh-hub users create --role instansi --agency disdukcapil --name "Budi" --username budi')
    .action(run(() => import('./commands/users.js'), 'create'));
  users.command('list').description('every staff user with role, scope and state').action(run(() => import('./commands/users.js'), 'list'));
  users.command('disable').description('disable a user and end their sessions').argument('<username>').action(run(() => import('./commands/users.js'), 'disable'));
  users.command('reset-password').description('end a user\'s sessions and give a new one-time password').argument('<username>').action(run(() => import('./commands/users.js'), 'resetPasswordCommand'));

  const webhooks = program.command('webhooks').description('push endpoints of agencies and villages (Standard Webhooks signing)');
  webhooks.command('set')
    .description('set the push endpoint of an agency (or one kecamatan office of it) or of a village system; a new endpoint\'s secret is shown once, alone on the last line')
    .addOption(new Option('--agency <code>', 'the agency (disdukcapil)').conflicts('village'))
    .option('--kecamatan <code>', 'with --agency: this kecamatan office only (18.12.01)')
    .addOption(new Option('--village <code>', 'a village system, told of its registrations\' progress (18.12.01.2002)').conflicts(['agency', 'kecamatan']))
    .requiredOption('--url <url>', 'where the hub POSTs (http or https)')
    .option('--max-in-flight <n>', 'requests in flight at once to this endpoint, 1–256 (16)', inRange(1, 256))
    .addHelpText('after', '\nExamples:\n  tiyuh-hub webhooks set --agency disdukcapil --url https://dukcapil.example/hook\n  tiyuh-hub webhooks set --village 18.12.01.2002 --url https://panaragan.desa.id/hub')
    .action(run(() => import('./commands/webhooks.js'), 'set'));
  webhooks.command('list').description('every endpoint with its pushed items by state').action(run(() => import('./commands/webhooks.js'), 'list'));
  webhooks.command('rotate')
    .description('a new secret for an endpoint, alone on the last line; the old one keeps signing for the grace period')
    .argument('<endpointId>', 'the endpoint\'s number (webhooks list)', positiveNumber)
    .option('--grace-hours <n>', 'hours the old secret still signs, 0–168', inRange(0, 168), 24)
    .action(run(() => import('./commands/webhooks.js'), 'rotate'));
  webhooks.command('redeliver')
    .description('queue items parked after failed pushes for delivery again')
    .option('--agency <code>', 'one agency\'s items')
    .option('--endpoint <id>', 'one endpoint\'s items', positiveNumber)
    .action(run(() => import('./commands/webhooks.js'), 'redeliverCommand'));

  program.command('replay')
    .description('run registrations again from identify or route (e.g. after a catalogue change); counts first, changes only with --yes')
    .addOption(new Option('--from <stage>', 'the stage to run again from').choices(['identify', 'route']).makeOptionMandatory())
    .option('--village <code>', 'one village (18.12.01.2002)')
    .option('--service <code>', 'one service (KTP_EL_BARU)')
    .addOption(new Option('--status <status>', 'registrations in this state').choices(['validated', 'identified', 'routed', 'held']))
    .option('--since <time>', 'registered at or after (ISO 8601)', isoTime)
    .option('--until <time>', 'registered before (ISO 8601)', isoTime)
    .option('--error-code <code>', 'a code among the registration\'s errors or warnings')
    .option('--redeliver', 'send items to an agency that already has them again')
    .option('--yes', 'replay (without it: a dry run that only counts)')
    .action(run(() => import('./commands/replay.js'), 'default'));

  program.command('stats')
    .description('the statistics summary tables: rebuild them from the source tables, or apply what changed now')
    .addArgument(new Argument('<action>', 'rebuild or refresh').choices(['rebuild', 'refresh']))
    .action(run(() => import('./commands/stats.js'), 'default'));

  const identityParams = program.command('identity-params').description('the identity engine\'s matching parameters (m/u) learned from the population');
  identityParams.command('show').description('the parameter set the identify stage uses').action(run(() => import('./commands/identityParams.js'), 'show'));
  identityParams.command('estimate')
    .description('learn m and u from the active population and record them; identify uses them from its next batch')
    .option('--reason <text>', 'why, kept with the set')
    .option('--explain', 'print what was learned')
    .action(run(() => import('./commands/identityParams.js'), 'estimate'));

  const quarantine = program.command('quarantine').description('records that failed validation, and their replay after correction');
  quarantine.command('list')
    .description('one line per record: what is wrong, never the personal data (NIK masked, initials only)')
    .option('--village <code>', 'one village')
    .addOption(new Option('--kind <kind>', 'resident or registration').choices(['resident', 'registration']))
    .addOption(new Option('--status <status>', 'open, replayed or discarded').choices(['open', 'replayed', 'discarded']).default('open'))
    .option('--limit <n>', 'at most this many', positiveNumber, 100)
    .option('--offset <n>', 'skip this many', wholeNumber, 0)
    .option('--json', 'one JSON object per line')
    .action(run(() => import('./commands/quarantine.js'), 'list'));
  quarantine.command('replay')
    .description('send records through intake again, as stored or corrected')
    .argument('<id...>', 'quarantine ids', (v: string, prev: number[] = []) => [...prev, positiveNumber(v)])
    .option('--payload <file.json>', 'the corrected record, for one id')
    .action(run(() => import('./commands/quarantine.js'), 'replay'));

  program.command('dedup')
    .description('batch identity resolution of an NDJSON or CSV file: one {"id","clusterId"} line per record')
    .requiredOption('--in <file>', 'people, NDJSON or CSV')
    .requiredOption('--out <file>', 'clusters, NDJSON')
    .option('--review <file>', 'possible pairs for a person to look at, NDJSON')
    .option('--strict', 'stop at the first malformed line (exit 1) instead of skipping it (exit 3 at the end)')
    .option('--learn', 'learn the m/u parameters from the file (EM over blocked pairs, u from random pairs) instead of the configured ones')
    .option('--explain-params', 'print the m/u parameters learned from the file (stdout) before resolving; implies --learn')
    .action(run(() => import('./commands/dedup.js'), 'default'));

  program.command('simulate')
    .description('serve simulated OpenSID village servers (Database Gabungan and OpenSID API)')
    .option('--port <n>', 'port', wholeNumber, 4010)
    .option('--residents <n>', 'residents in all', wholeNumber, 5000)
    .option('--villages <which>', 'all, demo, or codes separated by commas', 'demo')
    .option('--invalid-every <n>', 'one invalid resident in every n (0: none)', wholeNumber, 200)
    .option('--rate-limit <n>', 'requests a minute per user, as the servers\' throttle (0: none)', wholeNumber, 60)
    .option('--latency <ms>', 'added to every answer', wholeNumber, 0)
    .option('--warm', 'build every village\'s pages before listening')
    .option('--sources-out <file>', 'write a config/sources.json for these villages')
    .action(run(() => import('./commands/simulate.js'), 'default'));

  return program;
}
