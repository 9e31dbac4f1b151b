import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { generatePopulation, tubabaVillages, type SyntheticRecord } from '../synth/population.js';

/** A fault the simulator injects on matching requests, `times` times (default once). */
export interface FaultRule {
  kind: '5xx' | 'timeout' | 'slow' | 'malformed' | 'truncated' | 'short' | 'expire-token';
  /** penduduk (both APIs), permohonan (letter requests), signin (Gabungan and OpenSID login); any when unset. */
  path?: 'penduduk' | 'permohonan' | 'signin';
  page?: number;
  times?: number;
  delayMs?: number;
}

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
  credentials?: { email: string; password: string };
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
}

export interface Simulator {
  url: string;
  /** Residents per village code, for tests and the demo. */
  villageCounts: Map<string, number>;
  /** The letter requests (permohonan surat) each village serves, oldest first. */
  permohonan: Map<string, SimPermohonan[]>;
  /** A citizen cancels a request (status 5 Dibatalkan). */
  cancelPermohonan(village: string, id: number): void;
  total: number;
  fault(rule: FaultRule): void;
  clearFaults(): void;
  /** While down, every connection is reset: the village server has gone away. */
  setDown(down: boolean): void;
  stats: { dataRequests: number; logins: number; failedLogins: number; pageRequests: Map<string, number> };
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

interface Row { id: number; rec: SyntheticRecord; village: string; kec: string; invalid: boolean }

function dmy(ymd: string | null): string | null {
  if (!ymd) return null;
  const [y, m, d] = ymd.split('-');
  return `${d}-${m}-${y}`;
}

/** The attributes of OpenSID's PendudukTransformer (Gabungan: d-m-Y dates, status_kawin object). */
function attributes(row: Row, gabungan: boolean, villageNames: Map<string, string>) {
  const r = row.rec;
  const marital = r.kkLevel === 1 || r.kkLevel === 3 ? 2 : 1;
  const birth = row.invalid ? (row.id % 2 ? '1990-02-31' : r.birthDate) : r.birthDate;
  return {
    id: row.id,
    config_id: Number(row.village.slice(6)),
    nik: r.nik,
    nama: r.fullName,
    sex: row.invalid && row.id % 2 === 0 ? 9 : r.sex === 'F' ? 2 : r.sex === 'M' ? 1 : null,
    tempatlahir: r.birthPlace,
    tanggallahir: gabungan ? dmy(birth ?? null) : birth,
    agama_id: r.religion === 'ISLAM' || r.religion === 'Islam' ? 1 : r.religion === 'KRISTEN' ? 2 : r.religion === 'KATHOLIK' ? 3 : r.religion === 'HINDU' ? 4 : 5,
    pendidikan_kk_id: 3,
    pekerjaan_id: 9,
    status_kawin: gabungan ? { id: marital, nama: STATUS_KAWIN[marital - 1] } : marital,
    kk_level: r.kkLevel,
    warganegara_id: 1,
    nama_ibu: r.motherName,
    nama_ayah: null,
    status_dasar: r.status,
    alamat_sekarang: r.address,
    updated_at: '2026-11-01 08:00:00',
    keluarga: { no_kk: r.kk },
    config: { kode_desa: row.village, nama_desa: villageNames.get(row.village) ?? '', kode_kecamatan: row.kec },
    cluster_desa: { dusun: r.dusun, rw: r.rw, rt: r.rt },
  };
}

/**
 * A village-server stand-in: the OpenSID Database Gabungan API (kabupaten-wide, Sanctum bearer, JSON:API
 * pages of up to 500) and one OpenSID API per village under /desa/<kode_desa> (JWT admin, pages of up to
 * 100), over a generated population, with switchable faults. A real HTTP server, so connectors meet
 * real sockets, timeouts and broken bodies.
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const wanted = opts.villages ? new Set(opts.villages) : null;
  const total = opts.residents ?? 1000;
  const villageNames = new Map(tubabaVillages().map((v) => [v.code, v.name]));
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
  const rows: Row[] = records.map((rec, i) => ({ id: i + 1, rec, village: rec.villageCode ?? '', kec: (rec.villageCode ?? '').slice(0, 6), invalid: invalidEvery > 0 && (i + 1) % invalidEvery === 0 }));
  const byVillage = new Map<string, Row[]>();
  const byKecamatan = new Map<string, Row[]>();
  for (const r of rows) {
    (byVillage.get(r.village) ?? byVillage.set(r.village, []).get(r.village)!).push(r);
    (byKecamatan.get(r.kec) ?? byKecamatan.set(r.kec, []).get(r.kec)!).push(r);
  }
  // About one request per 20 residents: mostly the first four letter types, one in 13 the rarely asked
  // one, one in 9 cancelled, one in 17 by someone outside the village's listing (a resident of another
  // tiyuh asking this one for a letter); each appears among a village's first seven requests.
  const permohonan = new Map<string, SimPermohonan[]>();
  let permohonanSeq = 0;
  for (const [village, list] of byVillage) {
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
  const tokens = new Map<string, number>();
  const faults: FaultRule[] = [...(opts.faults ?? [])];
  const stats = { dataRequests: 0, logins: 0, failedLogins: 0, pageRequests: new Map<string, number>() };
  let down = false;
  let tokenSeq = 0;
  const sockets = new Set<Socket>();

  const takeFault = (path: 'penduduk' | 'permohonan' | 'signin', page: number | null): FaultRule | null => {
    const i = faults.findIndex((f) => (!f.path || f.path === path) && (f.page === undefined || f.page === page));
    if (i < 0) return null;
    const f = faults[i]!;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) faults.splice(i, 1);
    else faults[i] = { ...f, times: left };
    return f;
  };

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const readBody = (req: http.IncomingMessage) => new Promise<Record<string, unknown>>((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => { s += c.toString(); });
    req.on('end', () => { try { resolve(JSON.parse(s || '{}') as Record<string, unknown>); } catch { resolve({}); } });
  });

  // Sanctum on the Database Gabungan deletes a user's older tokens at every login (AuthController::login).
  const gabunganTokens = new Set<string>();

  async function login(req: http.IncomingMessage, res: http.ServerResponse, revokesOlder = false) {
    const f = takeFault('signin', null);
    if (f?.kind === '5xx') return json(res, 503, { message: 'Service Unavailable' });
    if (f?.kind === 'timeout') return;
    const body = await readBody(req);
    stats.logins += 1;
    if (body.email !== credentials.email || body.password !== credentials.password) {
      stats.failedLogins += 1;
      return json(res, 401, { message: 'Email atau password salah' });
    }
    const token = `${++tokenSeq}|sim${Math.random().toString(36).slice(2)}`;
    if (revokesOlder) {
      for (const old of gabunganTokens) tokens.delete(old);
      gabunganTokens.clear();
      gabunganTokens.add(token);
    }
    tokens.set(token, 0);
    json(res, 200, { message: 'Login Success ', access_token: token, token_type: 'Bearer' });
  }

  /** One JSON:API page of `list` behind a bearer token, with the faults of `path`. */
  function page<T>(req: http.IncomingMessage, res: http.ServerResponse, url: URL, list: T[], path: 'penduduk' | 'permohonan', max: number, item: (x: T) => string) {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const uses = auth ? tokens.get(auth) : undefined;
    if (uses === undefined || (opts.tokenMaxUses && uses >= opts.tokenMaxUses)) return json(res, 401, { message: 'Unauthenticated.' });
    tokens.set(auth!, uses + 1);
    const size = Math.min(max, Math.max(1, Number(url.searchParams.get('page[size]') ?? (max > 100 ? 30 : 15)) || 15));
    const number = Math.max(1, Number(url.searchParams.get('page[number]') ?? 1) || 1);
    stats.dataRequests += 1;
    const key = `${url.pathname}#${number}`;
    stats.pageRequests.set(key, (stats.pageRequests.get(key) ?? 0) + 1);
    const f = takeFault(path, number);
    if (f?.kind === 'expire-token') { tokens.delete(auth!); return json(res, 401, { message: 'Unauthenticated.' }); }
    if (f?.kind === '5xx') return json(res, 500, { message: 'Server Error' });
    if (f?.kind === 'timeout') return;
    const totalPages = Math.max(1, Math.ceil(list.length / size));
    let slice = list.slice((number - 1) * size, number * size);
    if (f?.kind === 'short') slice = slice.slice(0, Math.floor(slice.length / 2));
    const rest = JSON.stringify({
      meta: { pagination: { total: list.length, count: f?.kind === 'short' ? Math.min(size, list.length - (number - 1) * size) : slice.length, per_page: size, current_page: number, total_pages: totalPages } },
      links: { self: `${url.pathname}?page[number]=${number}` },
    });
    const body = `{"data":[${slice.map(item).join(',')}],${rest.slice(1)}`;
    const send = () => {
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
    if (delay > 0) setTimeout(send, delay); else send();
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
  const pendudukItems = new Map([true, false].map((gabungan) => [gabungan, serializedOnce((r: Row) => ({ type: 'penduduk', id: String(r.id), attributes: attributes(r, gabungan, villageNames) }))]));
  const pendudukItem = (gabungan: boolean) => pendudukItems.get(gabungan)!;
  if (opts.warm) for (const r of rows) pendudukItem(true)(r);
  // Letter requests change (cancelPermohonan), so they are serialized afresh.
  const permohonanItem = (p: SimPermohonan) => JSON.stringify({
    type: 'surat', id: String(p.id),
    attributes: { id: p.id, nama_penduduk: p.name, nama_surat: p.letter.nama, nik: p.nik, status: PERMOHONAN_STATUS[p.status], tanggal: p.createdAt, tinymce: true },
  });

  const server = http.createServer((req, res) => {
    if (down) { req.socket.destroy(); return; }
    const url = new URL(req.url ?? '/', 'http://sim');
    const p = url.pathname;
    if (req.method === 'POST' && p === '/api/v1/signin') return void login(req, res, true);
    if (req.method === 'GET' && p === '/api/v1/penduduk') {
      const kec = url.searchParams.get('kode_kecamatan') ?? url.searchParams.get('filter[kode_kecamatan]');
      const desa = url.searchParams.get('config_desa') ?? url.searchParams.get('filter[kode_desa]');
      const list = desa ? byVillage.get(desa.replace(/\./g, '')) ?? [] : kec ? byKecamatan.get(kec.replace(/\./g, '')) ?? [] : rows;
      return page(req, res, url, list, 'penduduk', 500, pendudukItem(true));
    }
    const m = /^\/desa\/(\d{10})(\/.*)$/.exec(p);
    if (m && byVillage.has(m[1]!)) {
      if (req.method === 'POST' && m[2] === '/api/admin/login') return void login(req, res);
      if (req.method === 'GET' && m[2] === '/api/v1/admin/penduduk') return page(req, res, url, byVillage.get(m[1]!)!, 'penduduk', 100, pendudukItem(false));
      // The admin listing of self-service letter requests (LayananMandiriController::index, PermohonanMandiriTransformer).
      if (req.method === 'GET' && m[2] === '/api/admin/surat/mandiri') return page(req, res, url, permohonan.get(m[1]!) ?? [], 'permohonan', 100, permohonanItem);
    }
    json(res, 404, { message: 'Not Found' });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    villageCounts: new Map([...byVillage].map(([v, list]) => [v, list.length])),
    permohonan,
    cancelPermohonan: (village, id) => {
      const p = permohonan.get(village)?.find((x) => x.id === id);
      if (!p) throw new Error(`no permohonan ${id} in ${village}`);
      p.status = 5;
    },
    total: rows.length,
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
