import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { createKey, listKeys, revokeKey, type Role } from '../../api/keys.js';
import { regionPrefix } from '../../access/scope.js';
import { listAudit } from '../../audit/log.js';
import { writeAudit } from '../../audit/log.js';
import { regionDigits } from '../../config/regionCode.js';
import { STAGES } from '../../pipeline/queues.js';
import { worklist } from '../../overview/worklist.js';
import { createUser, disableUser, listUsers, resetPassword, ROLE_NAMES, StaffError, STAFF_ROLES } from '../../staff/users.js';
import { type Kit, PageError } from '../kit.js';
import { BOARD_PATH } from '../board.js';

const PAGE = 100;
const KEY_KINDS: Record<string, string> = { village: 'Kunci API tiyuh', kecamatan: 'Kunci API kecamatan', agency: 'Kunci API instansi', opendk: 'Token OpenDK', admin: 'Kunci API admin' };

export async function adminPages(app: FastifyInstance, deps: AppDeps, kit: Kit) {
  const { db, config } = deps;
  const admin = kit.guard(['admin']);

  const usersPage = async (req: Parameters<Kit['staff']>[0], reply: Parameters<Kit['view']>[1], extra: Record<string, unknown> = {}) => {
    const q = req.query as { setelah?: string; kunci?: string };
    // This process's last minute of key use first, so the page is current at least for this hub.
    await deps.keys.flush().catch((err: unknown) => req.log.warn({ err }, 'key last-use not written'));
    const [users, keys] = await Promise.all([
      listUsers(db, { after: Number(q.setelah) || 0, limit: PAGE + 1 }),
      listKeys(db, { after: Number(q.kunci) || 0, limit: PAGE + 1 }),
    ]);
    return reply.view('users', kit.view(req, reply, 'Pengguna, kunci dan token', {
      users: users.slice(0, PAGE), keys: keys.slice(0, PAGE), roles: STAFF_ROLES, roleNames: ROLE_NAMES, keyKinds: KEY_KINDS,
      agencies: [...config.agencies.values()], kecamatans: [...config.kecamatans.values()],
      nextUsers: users.length > PAGE ? `/pengguna?setelah=${users[PAGE - 1]!.id}` : null,
      nextKeys: keys.length > PAGE ? `/pengguna?kunci=${keys[PAGE - 1]!.id}` : null,
      ...extra,
    }));
  };

  app.get('/pengguna', { preHandler: admin }, async (req, reply) => usersPage(req, reply));

  app.post<{ Body: { username?: string; fullName?: string; role?: string; region?: string; agency?: string } }>('/pengguna', { preHandler: [app.csrfProtection, admin] }, async (req, reply) => {
    const b = req.body ?? {};
    try {
      const { user, password } = await createUser(db, config, {
        username: String(b.username ?? ''), fullName: String(b.fullName ?? ''), role: String(b.role ?? ''), region: b.region || undefined, agency: b.agency || undefined,
      }, kit.staff(req).actor);
      return usersPage(req, reply, { secret: { what: `Kata sandi sekali pakai untuk ${user.username}`, value: password } });
    } catch (err) {
      if (err instanceof StaffError) return usersPage(req, reply.code(400), { error: err.message, form: b });
      throw err;
    }
  });

  app.post<{ Body: { username?: string; action?: string } }>('/pengguna/ubah', { preHandler: [app.csrfProtection, admin] }, async (req, reply) => {
    const username = String(req.body?.username ?? '');
    try {
      if (req.body?.action === 'nonaktifkan') {
        const u = await disableUser(db, username, kit.staff(req).actor);
        return usersPage(req, reply, { notice: `${u.username} dinonaktifkan; semua sesinya berakhir.` });
      }
      if (req.body?.action === 'atur-ulang') {
        const { user, password } = await resetPassword(db, username, kit.staff(req).actor);
        return usersPage(req, reply, { secret: { what: `Kata sandi sekali pakai baru untuk ${user.username}`, value: password } });
      }
    } catch (err) {
      if (err instanceof StaffError) return usersPage(req, reply.code(400), { error: err.message });
      throw err;
    }
    throw new PageError(400, 'Tindakan tidak dikenal.');
  });

  app.post<{ Body: { kind?: string; region?: string; agency?: string; label?: string } }>('/kunci', { preHandler: [app.csrfProtection, admin] }, async (req, reply) => {
    const b = req.body ?? {};
    const kind = String(b.kind ?? '') as Role;
    const region = b.region ? regionDigits(b.region) : null;
    const fail = (error: string) => usersPage(req, reply.code(400), { error });
    if (!KEY_KINDS[kind]) return fail('Jenis kunci tidak dikenal.');
    let villageCode: string | undefined;
    let kecamatanCode: string | undefined;
    if (region && config.villages.has(region)) villageCode = region;
    else if (region && config.kecamatans.has(region)) kecamatanCode = region;
    else if (b.region) return fail(`Kode wilayah "${b.region}" bukan desa/tiyuh atau kecamatan Tulang Bawang Barat.`);
    if (kind === 'village' && !villageCode) return fail('Kunci tiyuh memerlukan kode desa/tiyuh.');
    if (kind === 'kecamatan' && !kecamatanCode) return fail('Kunci kecamatan memerlukan kode kecamatan.');
    if (kind === 'opendk' && !villageCode && !kecamatanCode) return fail('Token OpenDK memerlukan kode kecamatan atau desa/tiyuh.');
    if (kind === 'agency' && (!b.agency || !config.agencies.has(b.agency))) return fail('Kunci instansi memerlukan instansi yang terdaftar.');
    const key = await createKey(db, { role: kind, villageCode, kecamatanCode, agencyCode: kind === 'agency' ? b.agency : undefined, label: String(b.label ?? '').slice(0, 200) || undefined });
    await writeAudit(db, { ...kit.staff(req).actor, action: 'key.create', targetType: 'api_keys', targetId: String(key.id), regionCode: villageCode ?? kecamatanCode ?? null, detail: { role: kind } });
    return usersPage(req, reply, { secret: { what: `${KEY_KINDS[kind]} #${key.id}`, value: key.secret } });
  });

  app.post<{ Params: { id: string } }>('/kunci/:id/cabut', { preHandler: [app.csrfProtection, admin] }, async (req, reply) => {
    const id = Number(req.params.id);
    const key = Number.isSafeInteger(id) && id > 0 && id < 2 ** 31 ? await revokeKey(db, id) : null;
    if (!key) throw new PageError(404, 'Kunci tidak ditemukan.');
    deps.keys.forget(key.id);
    await writeAudit(db, { ...kit.staff(req).actor, action: 'key.revoke', targetType: 'api_keys', targetId: String(key.id), regionCode: key.villageCode ?? key.kecamatanCode });
    return usersPage(req, reply, { notice: `Kunci #${key.id} (${key.prefix}…) dicabut; ditolak paling lambat dalam satu menit.` });
  });

  app.get<{ Querystring: { aksi?: string; pelaku?: string; jenis?: string; target?: string; sebelum?: string } }>('/audit', { preHandler: kit.guard(['admin', 'kecamatan']) }, async (req, reply) => {
    const staff = kit.staff(req);
    const q = req.query;
    const filter = {
      region: regionPrefix(staff.scope), action: q.aksi?.trim().slice(0, 48) || undefined, actor: q.pelaku?.trim().slice(0, 100) || undefined,
      targetType: q.jenis?.trim().slice(0, 32) || undefined, targetId: q.target?.trim().slice(0, 100) || undefined,
    };
    const list = await listAudit(db, { ...filter, before: Number(q.sebelum) || undefined, limit: PAGE + 1 });
    const entries = list.slice(0, PAGE);
    const params = new URLSearchParams(Object.entries({ aksi: filter.action, pelaku: filter.actor, jenis: filter.targetType, target: filter.targetId }).filter(([, v]) => v) as [string, string][]);
    return reply.view('audit', kit.view(req, reply, 'Audit', {
      entries, filter, nextHref: list.length > PAGE ? `/audit?${params}${params.size ? '&' : ''}sebelum=${entries[entries.length - 1]!.id}` : null,
    }));
  });

  app.get('/pipeline', { preHandler: admin }, async (req, reply) => {
    const counts = await Promise.all(STAGES.map(async (stage) => ({ stage, ...(await deps.queues.queues[stage].getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')) })));
    const work = await worklist(deps.ctx, kit.staff(req).scope);
    return reply.view('pipeline', kit.view(req, reply, 'Pipeline', { counts, work, boardHref: `${BOARD_PATH}/` }));
  });
}
