import t from 'tap';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../../src/config/load.js';
import { createTestDatabase } from '../helpers/database.js';
import { changeOwnPassword, createUser, disableUser, resetPassword, StaffError } from '../../src/staff/users.js';
import { findSession, login } from '../../src/staff/sessions.js';

const tdb = await createTestDatabase();
t.teardown(() => tdb.drop());
const db = tdb.database.db;
const config = loadConfig('config');
const by = { actor: 'test' };

t.test('roles are checked against their region and agency', async (t) => {
  const refuse = async (u: Parameters<typeof createUser>[2], code: string) => {
    const err = await createUser(db, config, u, by).then(() => null, (e: unknown) => e);
    t.ok(err instanceof StaffError && err.code === code, code);
  };
  await refuse({ username: 'k1', fullName: 'K', role: 'kecamatan' }, 'USERNAME_INVALID');
  await refuse({ username: 'kec1', fullName: 'Kecamatan', role: 'kecamatan', region: '18.12.01.2002' }, 'REGION_INVALID');
  await refuse({ username: 'tiy1', fullName: 'Tiyuh', role: 'tiyuh', region: '18.12.01' }, 'REGION_INVALID');
  await refuse({ username: 'ins1', fullName: 'Instansi', role: 'instansi', agency: 'nope' }, 'AGENCY_INVALID');
  await refuse({ username: 'adm1', fullName: 'Admin', role: 'admin', region: '18.12.01' }, 'REGION_INVALID');
  await refuse({ username: 'x1y', fullName: 'Xaverius', role: 'camat' }, 'ROLE_INVALID');
  const { user } = await createUser(db, config, { username: 'ins2', fullName: 'Instansi', role: 'instansi', agency: 'dinsos', region: '18.12.03' }, by);
  t.match(user, { role: 'instansi', agencyCode: 'dinsos', kecamatanCode: '181203', villageCode: null, mustChangePassword: true });
  await refuse({ username: 'INS2', fullName: 'Lagi', role: 'admin' }, 'USERNAME_TAKEN');
});

t.test('sessions end on idle, on disable and on a password reset', async (t) => {
  const { user, password } = await createUser(db, config, { username: 'sesi', fullName: 'Sesi Uji', role: 'kecamatan', region: '18.12.01' }, by);
  t.match(password, /^[A-Za-z2-9]{5}-[A-Za-z2-9]{5}-[A-Za-z2-9]{4}$/);
  const first = await login(db, 'sesi', password, '10.0.0.1');
  if (first.status !== 'ok') throw new Error(first.status);
  t.ok(await findSession(db, first.token));
  t.equal(await changeOwnPassword(db, user, { current: password, password: 'Kopi-Lampung-2026', confirm: 'Kopi-Lampung-2026' }, '-'), null);
  t.equal(await findSession(db, first.token), null, 'a password change ends the other sessions');

  const second = await login(db, 'SESI', 'Kopi-Lampung-2026', '10.0.0.1');
  if (second.status !== 'ok') throw new Error(second.status);
  await db.execute(sql`update staff_sessions set last_seen_at = now() - interval '31 minutes'`);
  t.equal(await findSession(db, second.token), null, 'idle for 31 minutes: ended');

  const third = await login(db, 'sesi', 'Kopi-Lampung-2026', '10.0.0.1');
  if (third.status !== 'ok') throw new Error(third.status);
  t.ok(await findSession(db, third.token));
  await disableUser(db, 'sesi', by);
  t.equal(await findSession(db, third.token), null, 'disabling ends the session at once');
  t.match(await login(db, 'sesi', 'Kopi-Lampung-2026', '10.0.0.1'), { status: 'disabled' });

  const { user: other, password: otp } = await createUser(db, config, { username: 'reset', fullName: 'Reset Uji', role: 'admin' }, by);
  await changeOwnPassword(db, other, { current: otp, password: 'Kopi-Lampung-2027', confirm: 'Kopi-Lampung-2027' }, '-');
  const s = await login(db, 'reset', 'Kopi-Lampung-2027', '10.0.0.2');
  if (s.status !== 'ok') throw new Error(s.status);
  const { password: fresh } = await resetPassword(db, 'reset', by);
  t.equal(await findSession(db, s.token), null, 'a reset ends the sessions');
  t.match(await login(db, 'reset', 'Kopi-Lampung-2027', '10.0.0.2'), { status: 'invalid' });
  t.match(await login(db, 'reset', fresh, '10.0.0.2'), { status: 'ok', user: { mustChangePassword: true } });
});

t.test('twenty failures from one address lock the address for every account', async (t) => {
  for (let i = 0; i < 20; i++) await login(db, `nobody${i}`, 'salah', '10.9.9.9');
  const { password } = await createUser(db, config, { username: 'korban', fullName: 'Korban', role: 'admin' }, by);
  t.match(await login(db, 'korban', password, '10.9.9.9'), { status: 'locked', by: 'address' });
  t.match(await login(db, 'korban', password, '10.9.9.8'), { status: 'ok' }, 'another address is not affected');
});
