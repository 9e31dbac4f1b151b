import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { generatePopulation, tubabaVillages, type SyntheticRecord } from '../synth/population.js';
import { filtersOf, FixedWindowLimiter, jsonApiBody, pageOf, refusedFilter, sortsOf, throttle, type HttpAnswer, type SortField } from './laravel.js';

/** A fault the simulator injects on matching requests, `times` times (default once). */
export interface FaultRule {
  kind: '5xx' | 'timeout' | 'slow' | 'malformed' | 'truncated' | 'short' | 'expire-token';
  /** penduduk (both APIs), permohonan (letter requests), signin (Gabungan and OpenSID login); any when unset. */
  path?: 'penduduk' | 'permohonan' | 'signin';
  page?: number;
  times?: number;
  delayMs?: number;
}

/** Something that happens on the server just before it answers a page (a village operator at work). */
export interface PageEvent { path: 'penduduk' | 'permohonan'; page: number; run: () => void }

export interface SimulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** Residents served in total (across the villages). */
  residents?: number;
  /** Only these villages (10 digits); all 103 when unset. */
  villages?: string[];
  /** Every n-th resident carries an invalid value (impossible date, unknown sex code); 0: none. */
  invalidEvery?: number;
  /** The Database Gabungan user (Sanctum, POST /api/v1/signin {email, password}). */
  credentials?: { email: string; password: string };
  /** The admin of every village's OpenSID API (POST /api/admin/login {username, password}); by default the Gabungan user's e-mail and password. */
  adminCredentials?: { username: string; password: string };
  /** A token stops working after this many data requests (an expired token). */
  tokenMaxUses?: number;
  /** Added to every data response. */
  latencyMs?: number;
  /**
   * Serialize every resident of the Gabungan API before listening. The simulator stands in for other
   * machines; a benchmark on this one should not count their work.
   */
  warm?: boolean;
  faults?: FaultRule[];
  /** `throttle:api`: requests per user (per address before login) in a window; false: none. Default 60 a minute. */
  rateLimit?: { requests: number; windowMs: number } | false;
  /** How long five refused logins from one address block it: Gabungan 10 minutes, the OpenSID API an hour. */
  lockoutMs?: { gabungan?: number; admin?: number };
  /** The sorts the Gabungan listing allows, for a server of another version; v2506.0.0's by default. */
  gabunganSorts?: string[];
}

export interface Simulator {
  url: string;
  /** Residents per village code (kept current as residents are added and removed). */
  villageCounts: Map<string, number>;
  /** config.id of each village in the Gabungan database (what `config_desa` and `filter[config_id]` compare with). */
  configIds: Map<string, number>;
  /** The letter requests (permohonan surat) each village serves, oldest first. */
  permohonan: Map<string, SimPermohonan[]>;
  /** A citizen cancels a request (status 5 Dibatalkan). */
  cancelPermohonan(village: string, id: number): void;
  /** A village operator registers residents (new ids, NIKs among the existing ones); answers their ids. */
  addResidents(village: string, count: number): number[];
  /** A village operator deletes residents (OpenSID hard-deletes a wrongly entered resident). */
  removeResidents(ids: number[]): void;
  /** Residents of a village as the server holds them now: ids, in id order. */
  residentIds(village?: string): number[];
  /** Runs `event.run` once, just before the server answers that page. */
  onPage(event: PageEvent): void;
  readonly total: number;
  fault(rule: FaultRule): void;
  clearFaults(): void;
  /** While down, every connection is reset: the village server has gone away. */
  setDown(down: boolean): void;
  stats: {
    dataRequests: number; logins: number; failedLogins: number; lockedLogins: number; rateLimited: number;
    pageRequests: Map<string, number>;
    /** The query strings of the latest Gabungan listing requests (newest last, at most 500). */
    queries: string[];
  };
  close(): Promise<void>;
}

const STATUS_KAWIN = ['BELUM KAWIN', 'KAWIN', 'CERAI HIDUP', 'CERAI MATI'];

/** Letter types (tweb_surat_format: nama, url_surat, kode_surat) of a stock OpenSID; the last one is rarely asked for. */
export const SIM_LETTERS = [
  { nama: 'Pengantar Surat Keterangan Catatan Kepolisian', url_surat: 'surat_ket_catatan_kriminal', kode_surat: 'S-07' },
  { nama: 'Keterangan KTP dalam Proses', url_surat: 'surat_ket_ktp_dalam_proses', kode_surat: 'S-08' },
  { nama: 'Keterangan Kurang Mampu', url_surat: 'surat_ket_kurang_mampu', kode_surat: 'S-11' },
  { nama: 'Keterangan Belum Pernah Menikah', url_surat: 'surat_ket_belum_menikah', kode_surat: 'S-22' },
  { nama: 'Keterangan Jual Beli', url_surat: 'surat_ket_jual_beli', kode_surat: 'S-05' },
] as const;

/** permohonan_surat.status (OpenSID since 2023): the listing answers the label. */
export const PERMOHONAN_STATUS = ['Belum Lengkap', 'Sedang Diperiksa', 'Menunggu Tandatangan', 'Siap Diambil', 'Sudah Diambil', 'Dibatalkan'] as const;

export interface SimPermohonan {
  id: number;
  letter: (typeof SIM_LETTERS)[number];
  status: number;
  /** The applicant's row in this village's resident listing; null: someone the listing does not hold. */
  residentId: number | null;
  nik: string | null;
  name: string;
  createdAt: string;
}
const DEFAULT_CREDENTIALS = { email: 'operator@tubaba.test', password: 'rahasia-simulasi' };

/**
 * The listing rules of the real servers (docs/protocols/): API Database Gabungan v2506.0.0
 * PendudukRepository::listPenduduk, and the OpenSID API (rilis 2608) PendudukEntity and
 * PermohonanSuratEntity::permohonanMandiri.
 */
const GABUNGAN_SORTS = ['nik', 'nama', 'umur', 'created_at', 'tag_id_card'] as const;
const GABUNGAN_FILTERS = [
  'id', 'sex', 'status', 'pendidikan_kk_id', 'pendidikan_sedang_id', 'pekerjaan_id', 'status_kawin', 'agama_id', 'cara_kb_id',
  'id_asuransi', 'hamil', 'suku', 'golongan_darah_id', 'cacat_id', 'sakit_menahun_id', 'kk_level', 'warganegara_id', 'config_id',
  'keluarga.no_kk', 'clusterDesa.dusun', 'clusterDesa.rw', 'clusterDesa.rt', 'jumlah', 'belum_mengisi', 'total', 'ktp',
  'bantuan-penduduk', 'status_dasar', 'status_rekam', 'tag_id_card', 'id_kk', 'status_covid', 'umur', 'kode_kabupaten',
  'kode_kecamatan', 'kode_desa', 'search',
] as const;
/** The allowed filters the simulator applies; asking for another allowed one is answered 501, never ignored. */
const GABUNGAN_FILTERS_SIMULATED = new Set(['id', 'sex', 'config_id', 'kode_kabupaten', 'kode_kecamatan', 'kode_desa', 'search']);

interface Row { id: number; rec: SyntheticRecord; village: string; kec: string; invalid: boolean; createdAt: number }

function dmy(ymd: string | null): string | null {
  if (!ymd) return null;
  const [y, m, d] = ymd.split('-');
  return `${d}-${m}-${y}`;
}

const two = (n: number) => String(n).padStart(2, '0');

/** tweb_penduduk.created_at as the Gabungan model casts it (`datetime:d-m-Y`). */
const createdDmy = (t: number) => { const d = new Date(t); return `${two(d.getUTCDate())}-${two(d.getUTCMonth() + 1)}-${d.getUTCFullYear()}`; };

/**
 * The attributes of the Gabungan PendudukTransformer: the tweb_penduduk row with its relations
 * (d-m-Y dates, status_kawin replaced by its relation object, config and cluster_desa), without `id`
 * (Fractal's JsonApiSerializer moves it to the item).
 */
function gabunganAttributes(row: Row, configId: number, villageName: string) {
  const r = row.rec;
  const marital = r.kkLevel === 1 || r.kkLevel === 3 ? 2 : 1;
  const birth = row.invalid ? (row.id % 2 ? '1990-02-31' : r.birthDate) : r.birthDate;
  return {
    config_id: configId,
    nik: r.nik,
    nama: r.fullName,
    sex: row.invalid && row.id % 2 === 0 ? 9 : r.sex === 'F' ? 2 : r.sex === 'M' ? 1 : null,
    tempatlahir: r.birthPlace,
    tanggallahir: dmy(birth ?? null),
    agama_id: r.religion === 'ISLAM' || r.religion === 'Islam' ? 1 : r.religion === 'KRISTEN' ? 2 : r.religion === 'KATHOLIK' ? 3 : r.religion === 'HINDU' ? 4 : 5,
    pendidikan_kk_id: 3,
    pekerjaan_id: 9,
    status_kawin: { id: marital, nama: STATUS_KAWIN[marital - 1] },
    kk_level: r.kkLevel,
    warganegara_id: 1,
    nama_ibu: r.motherName,
    nama_ayah: null,
    status_dasar: r.status,
    alamat_sekarang: r.address,
    tag_id_card: null,
    created_at: createdDmy(row.createdAt),
    updated_at: '2026-11-01 08:00:00',
    keluarga: { no_kk: r.kk },
    config: {
      id: configId, kode_desa: row.village, nama_desa: villageName, kode_kecamatan: row.kec,
      kode_kabupaten: row.village.slice(0, 4), kode_propinsi: row.village.slice(0, 2),
    },
    cluster_desa: { dusun: r.dusun, rw: r.rw, rt: r.rt },
  };
}

/** The OpenSID API's PendudukTransformer: five fields, nothing else (no birth date, sex or KK). */
function adminAttributes(row: Row) {
  const r = row.rec;
  return { nik: r.nik, nama: r.fullName, alamat_sekarang: r.address, tweb_wil_clusterdesa: { dusun: r.dusun, rw: r.rw, rt: r.rt } };
}

/** MySQL compares a varchar column with a bare number numerically: '181201' = 181201. */
type RawCondition = { kind: 'none' } | { kind: 'number'; value: number } | { kind: 'error' };

/**
 * FilterWilayahTrait pastes `kode_kabupaten` / `kode_kecamatan` into `c.kode_x = <value>` unquoted: a
 * whole number compares numerically (works), a decimal compares numerically (matches nothing), and
 * anything else (a dotted code, text) is an SQL error: 500.
 */
function rawCondition(value: string | null): RawCondition {
  if (!value) return { kind: 'none' };
  const v = value.trim();
  if (/^\d+$/.test(v) || /^\d*\.\d+$/.test(v)) return { kind: 'number', value: Number(v) };
  return { kind: 'error' };
}

/** MySQL's ORDER BY on a nullable column: NULL first ascending; the rest of a tie in primary-key order. */
function compareBy(sorts: SortField[], row: (r: Row) => Record<string, string | number | null>) {
  return (a: Row, b: Row) => {
    for (const s of sorts) {
      const x = row(a)[s.field] ?? null;
      const y = row(b)[s.field] ?? null;
      if (x === y) continue;
      const c = x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
      return s.descending ? -c : c;
    }
    return a.id - b.id;
  };
}

/**
 * A village-server stand-in: the OpenSID Database Gabungan API (kabupaten-wide, Sanctum bearer, JSON:API
 * pages of up to 500) and one OpenSID API per village under /desa/<kode_desa> (JWT admin, pages of up to
 * 100), over a generated population, with the real servers' rules (allowed sorts and filters, page
 * size caps, rate limits, login lockouts by address; docs/protocols/) and switchable faults. A real HTTP
 * server, so connectors meet real sockets, timeouts and broken bodies.
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const wanted = opts.villages ? new Set(opts.villages) : null;
  const total = opts.residents ?? 1000;
  const allVillages = [...tubabaVillages()].sort((a, b) => (a.code < b.code ? -1 : 1));
  const villageNames = new Map(allVillages.map((v) => [v.code, v.name]));
  // The Gabungan database's config rows: one per village, numbered as they were registered.
  const configIds = new Map(allVillages.map((v, i) => [v.code, i + 1]));
  const share = wanted ? wanted.size / villageNames.size : 1;
  // The generator spreads households over all villages; a subset takes its share of a larger run.
  let records: SyntheticRecord[] = [];
  for (let factor = 1.15; records.length < total; factor *= 1.3) {
    const all = generatePopulation({ records: Math.ceil((total / share) * factor) + 50, seed: opts.seed ?? 1812 }).records;
    records = wanted ? all.filter((r) => wanted.has(r.villageCode ?? '')) : all;
  }
  records = records.slice(0, total);
  records.sort((a, b) => (a.villageCode === b.villageCode ? a.residentId - b.residentId : (a.villageCode ?? '') < (b.villageCode ?? '') ? -1 : 1));
  const invalidEvery = opts.invalidEvery ?? 0;
  const created0 = Date.UTC(2024, 0, 1);
  let rows: Row[] = records.map((rec, i) => ({
    id: i + 1, rec, village: rec.villageCode ?? '', kec: (rec.villageCode ?? '').slice(0, 6),
    invalid: invalidEvery > 0 && (i + 1) % invalidEvery === 0, createdAt: created0 + i * 60_000,
  }));
  let nextId = rows.length + 1;
  let version = 0;
  const villageCounts = new Map<string, number>();
  for (const r of rows) villageCounts.set(r.village, (villageCounts.get(r.village) ?? 0) + 1);

  // About one request per 20 residents: mostly the first four letter types, one in 13 the rarely asked
  // one, one in 9 cancelled, one in 17 by someone outside the village's listing (a resident of another
  // tiyuh asking this one for a letter); each appears among a village's first seven requests.
  const permohonan = new Map<string, SimPermohonan[]>();
  let permohonanSeq = 0;
  for (const village of villageCounts.keys()) {
    const list = rows.filter((r) => r.village === village);
    const out: SimPermohonan[] = [];
    const others = rows.filter((r) => r.village !== village);
    for (let k = 1; k <= Math.ceil(list.length / 20); k++) {
      const outsider = k % 17 === 6;
      const r = outsider && others.length ? others[(k * 31) % others.length]! : list[(k * 7919) % list.length]!;
      out.push({
        id: ++permohonanSeq,
        letter: k % 13 === 7 ? SIM_LETTERS[4] : SIM_LETTERS[k % 4]!,
        status: k % 9 === 3 ? 5 : [1, 2, 3, 4, 0][k % 5]!,
        residentId: outsider ? null : r.id,
        nik: outsider && !others.length ? null : r.rec.nik ?? null,
        name: outsider && !others.length ? 'Warga Pendatang' : r.rec.fullName,
        createdAt: new Date(Date.UTC(2026, 9, 1) + permohonanSeq * 3_600_000).toISOString().replace('.000Z', '.000000Z'),
      });
    }
    permohonan.set(village, out);
  }

  const credentials = opts.credentials ?? DEFAULT_CREDENTIALS;
  const admin = opts.adminCredentials ?? { username: credentials.email, password: credentials.password };
  const rateLimit = opts.rateLimit === false ? null : opts.rateLimit ?? { requests: 60, windowMs: 60_000 };
  const lockout = { gabungan: opts.lockoutMs?.gabungan ?? 600_000, admin: opts.lockoutMs?.admin ?? 3_600_000 };
  const faults: FaultRule[] = [...(opts.faults ?? [])];
  const events: PageEvent[] = [];
  const stats: Simulator['stats'] = { dataRequests: 0, logins: 0, failedLogins: 0, lockedLogins: 0, rateLimited: 0, pageRequests: new Map(), queries: [] };
  const limiter = new FixedWindowLimiter();
  let down = false;
  let tokenSeq = 0;
  const sockets = new Set<Socket>();
  /** token → its user and uses; Sanctum tokens of the Gabungan user, JWTs of each village's admin. */
  const tokens = new Map<string, { user: string; uses: number; gabungan: boolean }>();

  const takeFault = (path: 'penduduk' | 'permohonan' | 'signin', page: number | null): FaultRule | null => {
    const i = faults.findIndex((f) => (!f.path || f.path === path) && (f.page === undefined || f.page === page));
    if (i < 0) return null;
    const f = faults[i]!;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) faults.splice(i, 1);
    else faults[i] = { ...f, times: left };
    return f;
  };

  const send = (res: http.ServerResponse, a: HttpAnswer) => {
    const text = JSON.stringify(a.body);
    res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...a.headers });
    res.end(text);
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => send(res, { status, body });
  const readBody = (req: http.IncomingMessage) => new Promise<Record<string, unknown>>((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => { s += c.toString(); });
    req.on('end', () => { try { resolve(JSON.parse(s || '{}') as Record<string, unknown>); } catch { resolve({}); } });
  });
  const ipOf = (req: http.IncomingMessage) => req.socket.remoteAddress ?? 'unknown';
  const limited = (res: http.ServerResponse, key: string): boolean => {
    const a = throttle(limiter, key, rateLimit);
    if (!a) return false;
    stats.rateLimited += 1;
    send(res, a);
    return true;
  };

  /**
   * Both login controllers: the throttle key is `lower(credential)|ip`, and neither login sends a
   * `credential` field, so five refusals from one address block every account from it. A success
   * clears the address's count.
   */
  async function login(req: http.IncomingMessage, res: http.ServerResponse, server: 'gabungan' | string) {
    const gabungan = server === 'gabungan';
    const ip = ipOf(req);
    // The login route sits under throttle:api, keyed by address before anyone is logged in.
    if (limited(res, `${server}|ip:${ip}`)) return;
    const f = takeFault('signin', null);
    if (f?.kind === '5xx') return json(res, 503, { message: 'Service Unavailable' });
    if (f?.kind === 'timeout') return;
    const body = await readBody(req);
    const lockKey = `${server}|login|${ip}`;
    if (limiter.tooMany(lockKey, 5)) {
      stats.lockedLogins += 1;
      const seconds = Math.ceil(limiter.availableInMs(lockKey) / 1000);
      return gabungan
        ? json(res, 403, { message: 'USER TELAH DIBLOKIR KARENA GAGAL LOGIN 5 KALI SILAKAN COBA KEMBALI DALAM 10 MENIT' })
        : json(res, 403, { success: false, message: `Terlalu banyak usaha masuk. Silahkan coba lagi dalam ${seconds} detik.` });
    }
    stats.logins += 1;
    if (!gabungan && (typeof body.username !== 'string' || !body.username || typeof body.password !== 'string' || !body.password)) {
      const field = typeof body.username !== 'string' || !body.username ? 'username' : 'password';
      return json(res, 422, { message: `The ${field} field is required.`, errors: { [field]: [`The ${field} field is required.`] } });
    }
    const ok = gabungan
      ? body.email === credentials.email && body.password === credentials.password
      : body.username === admin.username && body.password === admin.password;
    if (!ok) {
      stats.failedLogins += 1;
      limiter.hit(lockKey, gabungan ? lockout.gabungan : lockout.admin);
      return gabungan
        ? json(res, 401, { message: 'Invalid login details' })
        : json(res, 401, { code: 401, messages: 'Identitas tersebut tidak cocok dengan data kami.' });
    }
    limiter.clear(lockKey);
    const user = gabungan ? `gabungan:${credentials.email}` : `${server}:${admin.username}`;
    const token = gabungan ? `${++tokenSeq}|sim${Math.random().toString(36).slice(2)}` : `eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.sim${++tokenSeq}.${Math.random().toString(36).slice(2)}`;
    // Sanctum (AuthController::login) deletes the user's older tokens; JWTs stay valid until they expire.
    if (gabungan) for (const [t, v] of tokens) if (v.user === user) tokens.delete(t);
    tokens.set(token, { user, uses: 0, gabungan });
    if (gabungan) return json(res, 200, { message: 'Login Success ', access_token: token, token_type: 'Bearer' });
    json(res, 200, {
      success: true,
      data: { id: 1, username: admin.username, email: credentials.email, nama: 'Operator Desa', id_grup: 1, pamong: null, foto: '', id_telegram: '', token },
      message: 'success',
    });
  }

  /** The bearer's user, or the 401 is sent: Sanctum and JWT guards both answer `Unauthenticated.`. */
  function authenticate(req: http.IncomingMessage, res: http.ServerResponse, server: string): string | null {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const t = auth ? tokens.get(auth) : undefined;
    const mine = t && (server === 'gabungan' ? t.gabungan : t.user.startsWith(`${server}:`));
    if (!t || !mine || (opts.tokenMaxUses && t.uses >= opts.tokenMaxUses)) { json(res, 401, { message: 'Unauthenticated.' }); return null; }
    t.uses += 1;
    return auth!;
  }

  const listings = new Map<string, { version: number; list: Row[] }>();
  /** A filtered, sorted listing, kept until the data changes (the simulator stands in for other machines). */
  function listing(key: string, build: () => Row[]): Row[] {
    const c = listings.get(key);
    if (c && c.version === version) return c.list;
    const list = build();
    listings.set(key, { version, list });
    return list;
  }

  /** One page of `list` with the faults of `path`; the page's events run first. */
  function page<T>(res: http.ServerResponse, url: URL, token: string, all: () => T[], path: 'penduduk' | 'permohonan', p: { number: number; size: number }, item: (x: T) => string) {
    stats.dataRequests += 1;
    const key = `${url.pathname}#${p.number}`;
    stats.pageRequests.set(key, (stats.pageRequests.get(key) ?? 0) + 1);
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.path === path && e.page === p.number) { events.splice(i, 1); e.run(); }
    }
    const list = all();
    const f = takeFault(path, p.number);
    if (f?.kind === 'expire-token') { tokens.delete(token); return json(res, 401, { message: 'Unauthenticated.' }); }
    if (f?.kind === '5xx') return json(res, 500, { message: 'Server Error' });
    if (f?.kind === 'timeout') return;
    let slice = list.slice((p.number - 1) * p.size, p.number * p.size);
    const count = slice.length;
    if (f?.kind === 'short') slice = slice.slice(0, Math.floor(slice.length / 2));
    const body = jsonApiBody(slice.map(item), url, p, list.length, f?.kind === 'short' ? count : undefined);
    const reply = () => {
      if (f?.kind === 'malformed') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end(body.slice(0, body.length - 7) + '<br/>'); }
      if (f?.kind === 'truncated') {
        // Content-Length promises the whole page; the connection drops halfway.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.write(body.slice(0, Math.floor(body.length / 2)));
        return setTimeout(() => res.socket?.destroy(), 5);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const delay = (f?.kind === 'slow' ? f.delayMs ?? 2000 : 0) + (opts.latencyMs ?? 0);
    if (delay > 0) setTimeout(reply, delay); else reply();
  }

  // Each item is serialized once and kept: the simulator stands in for other machines, so a benchmark
  // on this one should spend as little of its CPU here as it can.
  const serializedOnce = <T extends object>(build: (x: T) => unknown) => {
    const done = new WeakMap<T, string>();
    return (x: T) => {
      let text = done.get(x);
      if (text === undefined) { text = JSON.stringify(build(x)); done.set(x, text); }
      return text;
    };
  };
  const gabunganItem = serializedOnce((r: Row) => ({ type: 'penduduk', id: String(r.id), attributes: gabunganAttributes(r, configIds.get(r.village)!, villageNames.get(r.village) ?? '') }));
  const adminItem = serializedOnce((r: Row) => ({ type: 'penduduk', id: String(r.id), attributes: adminAttributes(r) }));
  if (opts.warm) for (const r of rows) gabunganItem(r);
  // Letter requests change (cancelPermohonan), so they are serialized afresh.
  const permohonanItem = (p: SimPermohonan) => JSON.stringify({
    type: 'surat', id: String(p.id),
    attributes: { nama_penduduk: p.name, nama_surat: p.letter.nama, nik: p.nik, status: PERMOHONAN_STATUS[p.status], tanggal: p.createdAt, tinymce: true },
  });

  const gabunganSortValue = (r: Row): Record<string, string | number | null> => ({ nik: r.rec.nik ?? null, nama: r.rec.fullName, created_at: r.createdAt, tag_id_card: null });

  /** GET /api/v1/penduduk: PendudukController::index → PendudukRepository::listPenduduk. */
  function gabunganPenduduk(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const token = authenticate(req, res, 'gabungan');
    if (!token) return;
    if (limited(res, `gabungan|user:${tokens.get(token)?.user ?? token}`)) return;
    stats.queries.push(url.search);
    if (stats.queries.length > 500) stats.queries.shift();
    // FilterWilayahTrait: plain query parameters, applied before the query builder.
    const kab = rawCondition(url.searchParams.get('kode_kabupaten'));
    const kec = rawCondition(url.searchParams.get('kode_kecamatan'));
    if (kab.kind === 'error' || kec.kind === 'error') return json(res, 500, { message: 'Server Error' });
    const configDesa = url.searchParams.get('config_desa') || null;
    const filters = filtersOf(url);
    const refused = refusedFilter(filters, GABUNGAN_FILTERS);
    if (refused) return send(res, refused);
    const sorts = sortsOf(url, opts.gabunganSorts ?? GABUNGAN_SORTS);
    if (!Array.isArray(sorts)) return send(res, sorts);
    // `umur` is an appended attribute, not a column: ORDER BY umur fails in MySQL.
    if (sorts.some((s) => s.field === 'umur')) return json(res, 500, { message: 'Server Error' });
    const unsimulated = [...filters.keys()].filter((f) => !GABUNGAN_FILTERS_SIMULATED.has(f));
    if (unsimulated.length) return json(res, 501, { message: `the simulator does not apply filter(s) ${unsimulated.join(', ')}` });
    const p = pageOf(url, 500, 30);
    const key = JSON.stringify([url.searchParams.get('kode_kabupaten'), url.searchParams.get('kode_kecamatan'), configDesa, [...filters], sorts]);
    const ids = filters.get('id')?.split(',').map((s) => s.trim());
    const search = filters.get('search')?.toLowerCase();
    page(res, url, token, () => listing(key, () => {
      const out = rows.filter((r) => {
        const cfg = configIds.get(r.village)!;
        if (kab.kind === 'number' && Number(r.village.slice(0, 4)) !== kab.value) return false;
        if (kec.kind === 'number' && Number(r.kec) !== kec.value) return false;
        if (configDesa !== null && String(cfg) !== configDesa.trim()) return false;
        // Bound string comparisons with the config row: the codes are stored without dots.
        if (filters.has('kode_kabupaten') && r.village.slice(0, 4) !== filters.get('kode_kabupaten')) return false;
        if (filters.has('kode_kecamatan') && r.kec !== filters.get('kode_kecamatan')) return false;
        if (filters.has('kode_desa') && r.village !== filters.get('kode_desa')) return false;
        if (filters.has('config_id') && String(cfg) !== filters.get('config_id')) return false;
        if (ids && !ids.includes(String(r.id))) return false;
        if (filters.has('sex') && String(r.rec.sex === 'F' ? 2 : 1) !== filters.get('sex')) return false;
        if (search && !(r.rec.fullName.toLowerCase().includes(search) || (r.rec.nik ?? '').includes(search))) return false;
        return true;
      });
      // No sort: no ORDER BY; InnoDB reads this plan in primary-key order.
      return sorts.length ? out.sort(compareBy(sorts, gabunganSortValue)) : out;
    }), 'penduduk', p, gabunganItem);
  }

  /** GET /desa/<v>/api/v1/admin/penduduk: PendudukController::index → PendudukEntity::get (orderBy nama). */
  function adminPenduduk(req: http.IncomingMessage, res: http.ServerResponse, url: URL, village: string) {
    const token = authenticate(req, res, village);
    if (!token) return;
    const filters = filtersOf(url);
    const refused = refusedFilter(filters, ['nik', 'id', 'nama']);
    if (refused) return send(res, refused);
    const sorts = sortsOf(url, ['nama']);
    if (!Array.isArray(sorts)) return send(res, sorts);
    const p = pageOf(url, 100, 15);
    const key = JSON.stringify(['admin', village, [...filters], sorts]);
    page(res, url, token, () => listing(key, () => rows
      .filter((r) => r.village === village
        && (!filters.has('nik') || r.rec.nik === filters.get('nik'))
        && (!filters.has('id') || filters.get('id')!.split(',').includes(String(r.id)))
        && (!filters.has('nama') || r.rec.fullName.toLowerCase().includes(filters.get('nama')!.toLowerCase())))
      // ->orderBy('nama', 'ASC') always comes first; an allowed sort only adds to it.
      .sort(compareBy([{ field: 'nama', descending: false }, ...sorts], (r) => ({ nama: r.rec.fullName })))), 'penduduk', p, adminItem);
  }

  /** GET /desa/<v>/api/admin/surat/mandiri: LayananMandiriController::index (throttle:api per user). */
  function adminSuratMandiri(req: http.IncomingMessage, res: http.ServerResponse, url: URL, village: string) {
    const token = authenticate(req, res, village);
    if (!token) return;
    if (limited(res, `${village}|user:${tokens.get(token)?.user ?? token}`)) return;
    const filters = filtersOf(url);
    const refused = refusedFilter(filters, ['id', 'status']);
    if (refused) return send(res, refused);
    const sorts = sortsOf(url, ['id', 'created_at']);
    if (!Array.isArray(sorts)) return send(res, sorts);
    const p = pageOf(url, 100, 15);
    const all = () => {
      const list = (permohonan.get(village) ?? []).filter((x) => (!filters.has('id') || filters.get('id')!.split(',').includes(String(x.id)))
        && (!filters.has('status') || String(x.status) === filters.get('status')));
      const by = (x: SimPermohonan) => ({ id: x.id, created_at: x.createdAt });
      return sorts.length ? [...list].sort((a, b) => {
        for (const s of sorts) {
          const u = by(a)[s.field as 'id'];
          const v = by(b)[s.field as 'id'];
          if (u !== v) return (u < v ? -1 : 1) * (s.descending ? -1 : 1);
        }
        return a.id - b.id;
      }) : list;
    };
    page(res, url, token, all, 'permohonan', p, permohonanItem);
  }

  const server = http.createServer((req, res) => {
    if (down) { req.socket.destroy(); return; }
    const url = new URL(req.url ?? '/', 'http://sim');
    const p = url.pathname;
    if (req.method === 'POST' && p === '/api/v1/signin') return void login(req, res, 'gabungan');
    if (req.method === 'GET' && p === '/api/v1/penduduk') return gabunganPenduduk(req, res, url);
    const m = /^\/desa\/(\d{10})(\/.*)$/.exec(p);
    if (m && villageCounts.has(m[1]!)) {
      const village = m[1]!;
      if (req.method === 'POST' && m[2] === '/api/admin/login') return void login(req, res, village);
      if (req.method === 'GET' && m[2] === '/api/v1/admin/penduduk') return adminPenduduk(req, res, url, village);
      if (req.method === 'GET' && m[2] === '/api/admin/surat/mandiri') return adminSuratMandiri(req, res, url, village);
    }
    json(res, 404, { message: 'Not Found' });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    villageCounts,
    configIds,
    permohonan,
    cancelPermohonan: (village, id) => {
      const p = permohonan.get(village)?.find((x) => x.id === id);
      if (!p) throw new Error(`no permohonan ${id} in ${village}`);
      p.status = 5;
    },
    addResidents(village, count) {
      const model = rows.filter((r) => r.village === village);
      if (!model.length) throw new Error(`no residents in ${village} to model new ones on`);
      const ids: number[] = [];
      for (let k = 0; k < count; k++) {
        const like = model[(k * 7) % model.length]!;
        const id = nextId++;
        // A newborn registered next to a relative: same household, a NIK that sorts among theirs.
        const nik = like.rec.nik ? `${like.rec.nik.slice(0, 12)}${String(9000 + (id % 1000)).padStart(4, '0')}` : null;
        rows.push({ ...like, id, rec: { ...like.rec, nik, fullName: `${like.rec.fullName} Baru`, residentId: id }, invalid: false, createdAt: Date.now() });
        ids.push(id);
      }
      villageCounts.set(village, (villageCounts.get(village) ?? 0) + count);
      version += 1;
      return ids;
    },
    removeResidents(ids) {
      const gone = new Set(ids);
      for (const r of rows) if (gone.has(r.id)) villageCounts.set(r.village, villageCounts.get(r.village)! - 1);
      rows = rows.filter((r) => !gone.has(r.id));
      version += 1;
    },
    residentIds: (village) => rows.filter((r) => !village || r.village === village).map((r) => r.id),
    onPage: (event) => { events.push(event); },
    get total() { return rows.length; },
    fault: (rule) => { faults.push(rule); },
    clearFaults: () => { faults.length = 0; },
    setDown: (d) => { down = d; if (d) for (const s of sockets) s.destroy(); },
    stats,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
