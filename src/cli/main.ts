import { ConfigError } from '../config/load.js';
import { EnvError } from '../config/env.js';
import { RedisUnavailableError } from '../runtime/redis.js';
import { UsageError } from './usage.js';

type Command = (argv: string[]) => Promise<number>;

/** Loaded on demand so `tiyuh-hub dedup` does not pay for fastify and BullMQ. */
const COMMANDS: Record<string, { about: string; load: () => Promise<{ default: Command }> }> = {
  serve: { about: 'run the API and the pipeline workers', load: () => import('./commands/serve.js') },
  worker: { about: 'run the pipeline workers only', load: () => import('./commands/worker.js') },
  migrate: { about: 'apply database migrations', load: () => import('./commands/migrate.js') },
  demo: { about: 'start the hub on embedded defaults with demo keys and example curl commands', load: () => import('./commands/demo.js') },
  dedup: { about: 'dedup --in FILE --out FILE [--review FILE] [--strict] [--learn] [--explain-params]: batch identity resolution of NDJSON or CSV', load: () => import('./commands/dedup.js') },
  'identity-params': { about: 'identity-params show | estimate [--reason TEXT] [--explain]: learn matching parameters from the population', load: () => import('./commands/identityParams.js') },
  keys: { about: 'keys create --village <code> | --agency <code> [--kecamatan <code>]: make an API key', load: () => import('./commands/keys.js') },
  tokens: { about: 'tokens create --kecamatan <code> | --village <code>: make an OpenDK token for OpenSID "Kirim ke OpenDK"', load: () => import('./commands/tokens.js') },
  import: { about: 'import FILE --village <code> [--errors FILE.csv]: import residents from a CSV/XLSX', load: () => import('./commands/import.js') },
  sources: { about: 'sources [--json] | sources check <sourceId>: each source\'s last success, lag, records and last error; can the hub reach and log in', load: () => import('./commands/sources.js') },
  sync: { about: 'sync <sourceId> [--wait]: start a pull of a source now', load: () => import('./commands/sync.js') },
  simulate: { about: 'simulate [--port N] [--residents N] [--sources-out FILE]: serve simulated OpenSID village servers', load: () => import('./commands/simulate.js') },
  quarantine: { about: 'quarantine list [--village <code>] | replay <id>... [--payload FILE.json]', load: () => import('./commands/quarantine.js') },
};

function help(): string {
  return ['Usage: tiyuh-hub <command> [options]', '', 'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.about}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') { console.log(help()); return name ? 0 : 1; }
  const command = COMMANDS[name];
  if (!command) { console.error(`Unknown command "${name}".\n\n${help()}`); return 2; }
  try {
    return await (await command.load()).default(rest);
  } catch (err) {
    if (err instanceof ConfigError) console.error(`Configuration error: ${err.message}`);
    else if (err instanceof UsageError || err instanceof EnvError || err instanceof RedisUnavailableError) console.error(err.message);
    else if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') console.error((err as Error).message);
    else throw err;
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
