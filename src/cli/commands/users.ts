import { parseArgs } from 'node:util';
import { loadEnv } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import { dottedRegion } from '../../config/regionCode.js';
import { openDatabase } from '../../db/client.js';
import { createUser, disableUser, listUsers, resetPassword, StaffError, type StaffUser } from '../../staff/users.js';
import { UsageError } from '../usage.js';

const USAGE = `tiyuh-hub users create --role admin|kecamatan|instansi|tiyuh [--region <code>] [--agency <code>] --name "<full name>" --username <name>
tiyuh-hub users list
tiyuh-hub users disable <username>
tiyuh-hub users reset-password <username>`;

const BY = { actor: 'cli' };

const scopeText = (u: StaffUser) => [u.villageCode ? dottedRegion(u.villageCode) : u.kecamatanCode ? dottedRegion(u.kecamatanCode) : 'kabupaten', u.agencyCode].filter(Boolean).join(' ');

/** Console users; a new or reset one-time password alone is printed on the last line (scripts take `tail -1`). */
export default async function users(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { role: { type: 'string' }, region: { type: 'string' }, agency: { type: 'string' }, name: { type: 'string' }, username: { type: 'string' } },
  });
  const [action, target] = positionals;
  if (!action || !['create', 'list', 'disable', 'reset-password'].includes(action)) throw new UsageError(USAGE);
  if ((action === 'disable' || action === 'reset-password') && !target) throw new UsageError(USAGE);
  if (action === 'create' && (!values.role || !values.name || !values.username)) throw new UsageError(USAGE);
  const env = loadEnv();
  const config = loadConfig(env.configDir);
  const database = await openDatabase(env.databaseUrl, env.dataDir, { max: 1 });
  try {
    await database.migrate();
    const db = database.db;
    if (action === 'create') {
      const { user, password } = await createUser(db, config, { role: values.role!, region: values.region, agency: values.agency, fullName: values.name!, username: values.username! }, BY);
      console.log(`${user.role} user #${user.id} "${user.username}" for ${scopeText(user)}; one-time password (shown once, must be changed at first login):`);
      console.log(password);
    } else if (action === 'list') {
      let after = 0;
      for (;;) {
        const page = await listUsers(db, { after, limit: 500 });
        for (const u of page) {
          console.log([String(u.id).padStart(4), u.username.padEnd(20), u.role.padEnd(10), scopeText(u).padEnd(22),
            u.disabledAt ? 'disabled' : u.mustChangePassword ? 'must-change-password' : 'active',
            u.lastLoginAt ? `last login ${new Date(u.lastLoginAt).toISOString()}` : 'never logged in'].join('  '));
        }
        if (page.length < 500) break;
        after = page[page.length - 1]!.id;
      }
    } else if (action === 'disable') {
      const u = await disableUser(db, target!, BY);
      console.log(`user "${u.username}" disabled; their sessions have ended`);
    } else {
      const { user, password } = await resetPassword(db, target!, BY);
      console.log(`user "${user.username}": sessions ended; one-time password (shown once, must be changed at next login):`);
      console.log(password);
    }
  } catch (err) {
    if (err instanceof StaffError) throw new UsageError(`${err.code}: ${err.message}`);
    throw err;
  } finally {
    await database.close();
  }
  return 0;
}
