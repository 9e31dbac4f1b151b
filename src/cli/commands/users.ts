import { loadEnv } from '../../config/env.js';
import { dottedRegion } from '../../config/regionCode.js';
import type { StaffUser } from '../../staff/users.js';
import { invoke } from '../control/client.js';

const scopeText = (u: StaffUser) => [u.villageCode ? dottedRegion(u.villageCode) : u.kecamatanCode ? dottedRegion(u.kecamatanCode) : 'kabupaten', u.agencyCode].filter(Boolean).join(' ');

/** A new console user; the one-time password alone is printed on the last line (scripts take `tail -1`). */
export async function create(opts: { role: string; region?: string; agency?: string; name: string; username: string }): Promise<number> {
  const { user, password } = await invoke(loadEnv(), 'users.create', { role: opts.role, region: opts.region, agency: opts.agency, fullName: opts.name, username: opts.username });
  console.log(`${user.role} user #${user.id} "${user.username}" for ${scopeText(user)}; one-time password (shown once, must be changed at first login):`);
  console.log(password);
  return 0;
}

export async function list(): Promise<number> {
  const env = loadEnv();
  for (let after = 0; ;) {
    const page = await invoke(env, 'users.list', { after, limit: 500 });
    for (const u of page) {
      console.log([String(u.id).padStart(4), u.username.padEnd(20), u.role.padEnd(10), scopeText(u).padEnd(22),
        u.disabledAt ? 'disabled' : u.mustChangePassword ? 'must-change-password' : 'active',
        u.lastLoginAt ? `last login ${new Date(u.lastLoginAt).toISOString()}` : 'never logged in'].join('  '));
    }
    if (page.length < 500) return 0;
    after = page[page.length - 1]!.id;
  }
}

export async function disable(username: string): Promise<number> {
  const u = await invoke(loadEnv(), 'users.disable', { username });
  console.log(`user "${u.username}" disabled; their sessions have ended`);
  return 0;
}

export async function resetPasswordCommand(username: string): Promise<number> {
  const { user, password } = await invoke(loadEnv(), 'users.resetPassword', { username });
  console.log(`user "${user.username}": sessions ended; one-time password (shown once, must be changed at next login):`);
  console.log(password);
  return 0;
}
