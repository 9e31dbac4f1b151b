import t from 'tap';
import { sql } from 'drizzle-orm';
import { createKey, KeyStore, revokeKey } from '../../src/api/keys.js';
import { rows } from '../../src/db/client.js';
import { startTestHub } from '../helpers/hub.js';
import { PANARAGAN } from '../helpers/fixtures.js';

const th = await startTestHub(t, { workers: false });
const db = th.hub.database.db;
const lastUsed = async (id: number) => (await rows<{ at: Date | null }>(db, sql`select last_used_at as at from api_keys where id = ${id}`))[0]!.at;

t.test('a key\'s last use is kept in memory and written in one flush, never on the request', async (t) => {
  const store = new KeyStore(db, 60_000, 60_000);
  t.teardown(() => store.close());
  const a = await createKey(db, { role: 'village', villageCode: PANARAGAN });
  const b = await createKey(db, { role: 'opendk', kecamatanCode: '181201' });
  const before = Date.now();
  t.ok(await store.find(a.secret));
  t.ok(await store.find(a.secret));
  t.ok(await store.find(b.secret));
  t.equal(await lastUsed(a.id), null, 'nothing is written while the request runs');
  await store.flush();
  const at = await lastUsed(a.id);
  t.ok(at && new Date(at).getTime() >= before - 1000 && new Date(at).getTime() <= Date.now() + 1000, 'the key\'s use is stored');
  t.ok(await lastUsed(b.id), 'an OpenDK token\'s use is stored too');
});

t.test('a stored later use (another hub process) is not moved backwards; close writes what is pending', async (t) => {
  const store = new KeyStore(db, 60_000, 60_000);
  const k = await createKey(db, { role: 'kecamatan', kecamatanCode: '181201' });
  await db.execute(sql`update api_keys set last_used_at = now() + interval '1 hour' where id = ${k.id}`);
  const later = await lastUsed(k.id);
  await store.find(k.secret);
  await store.flush();
  t.same(await lastUsed(k.id), later);
  const other = await createKey(db, { role: 'kecamatan', kecamatanCode: '181202' });
  await store.find(other.secret);
  await store.close();
  t.ok(await lastUsed(other.id), 'the pending use is written on close');
});

t.test('refused keys are not marked used', async (t) => {
  const store = new KeyStore(db, 0, 60_000);
  t.teardown(() => store.close());
  const k = await createKey(db, { role: 'village', villageCode: PANARAGAN });
  await revokeKey(db, k.id);
  t.equal(await store.find(k.secret), null);
  t.equal(await store.find('thv_not-a-key'), null);
  await store.flush();
  t.equal(await lastUsed(k.id), null);
});
