/**
 * The bad-input corpus: what a hostile or broken client sends. Every probe must be answered with a
 * 4xx (or a 2xx with the designed per-record rejection), never a 5xx; and nothing it sends may reach
 * the logs. Some probes name the exact answer the hub designs for them.
 */
import http from 'node:http';
import { applicant, type TestApplicant } from '../../test/helpers/fixtures.js';

export interface ProbeKeys {
  village: string;
  villageCode: string;
  otherVillage: string;
  otherVillageCode: string;
  kecamatan: string;
  agency: string;
  agencyCode: string;
  admin: string;
  revoked: string;
  expired: string;
  /** A registration of `villageCode`, which the other village must not see. */
  registrationId: number;
}

interface Probe {
  name: string;
  method?: string;
  path: string;
  key?: string | null;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The answer designed for it; otherwise any 2xx–4xx. */
  expect?: number;
  /** For a 2xx: every record must come back rejected. */
  rejectedPerRecord?: boolean;
  /** OpenSID's protocol: errors in OpenSID's JSON shape, not problem+json. */
  opensid?: boolean;
}

export interface ProbeResult { name: string; status: number; ok: boolean; why?: string }

const json = (v: unknown) => JSON.stringify(v);

function deepObject(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

export function buildProbes(k: ProbeKeys, seed: number): { probes: Probe[]; people: TestApplicant[] } {
  const people: TestApplicant[] = [];
  const person = (i: number, o: Partial<TestApplicant> = {}) => { const a = applicant(seed + i, o); people.push(a); return a; };
  const reg = (i: number, o: Partial<TestApplicant> = {}, extra: Record<string, unknown> = {}) =>
    ({ externalId: `probe-${seed}-${i}`, service: 'KTP_EL_BARU', applicant: person(i, o), ...extra });
  const batch = (...r: unknown[]) => json({ registrations: r });
  const post = (name: string, body: string | Buffer, more: Partial<Probe> = {}): Probe =>
    ({ name, method: 'POST', path: '/v1/registrations', key: k.village, headers: { 'content-type': 'application/json' }, body, ...more });
  const resident = (i: number, o: Record<string, unknown> = {}) => {
    const a = person(i);
    return { localId: `p${seed}-${i}`, nik: a.nik, kk: a.kk, fullName: a.fullName, sex: '1', birthDate: a.birthDate, ...o };
  };

  const probes: Probe[] = [
    // Malformed and empty bodies.
    post('truncated JSON', '{"registrations": [', { expect: 400 }),
    post('JSON with a trailing comma', '{"registrations": [1,]}', { expect: 400 }),
    post('JSON null', 'null'),
    post('JSON array', '[]'),
    post('JSON string', '"registrations"'),
    post('JSON number', '12345'),
    post('empty body', '', { expect: 400 }),
    post('whitespace body', '   \n ', { expect: 400 }),
    post('empty registrations', json({ registrations: [] }), { expect: 400 }),
    post('registrations not an array', json({ registrations: { a: 1 } }), { expect: 400 }),
    post('unknown top-level field', json({ registrations: [reg(1)], extra: true }), { expect: 400 }),
    post('1,001 registrations', json({ registrations: Array.from({ length: 1001 }, (_, i) => ({ externalId: `x${i}`, service: 'KTP_EL_BARU', applicant: {} })) }), { expect: 413 }),
    post('5 MB body', Buffer.alloc(5 * 1024 * 1024, 32), { expect: 413 }),
    // Deep nesting.
    post('details 5,000 levels deep', `{"externalId":"deep","service":"KTP_EL_BARU","applicant":{},"details":${deepObject(5000)}}`, { expect: 400 }),
    post('array 100,000 levels deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, { expect: 400 }),
    post('registrations 40 levels deep', json({ registrations: [reg(2, {}, { details: JSON.parse(deepObject(40)) })] }), { expect: 400 }),
    // NUL and lone surrogates, in values and keys.
    post('NUL in a name', batch(reg(3, { fullName: 'Siti\u0000 Aminah' }))),
    post('NUL in an externalId', batch({ ...reg(4), externalId: 'nul\u0000id' })),
    post('lone high surrogate in a name', batch(reg(5, { fullName: 'Dewi \ud800 Lestari' }))),
    post('lone low surrogate in details', batch(reg(6, {}, { details: { reason: 'hilang \udc00' } }))),
    post('NUL in a key name', `{"registrations":[{"externalId":"k1","service":"KTP_EL_BARU","applicant":{},"det\\u0000ails":{}}]}`),
    post('escaped NUL and surrogate everywhere', `{"registrations":[{"externalId":"e\\u0000","service":"KTP_EL_BARU\\ud800","applicant":{"fullName":"\\udfff\\u0000"}}]}`),
    post('__proto__ key', `{"registrations":[{"externalId":"proto","service":"KTP_EL_BARU","applicant":{},"__proto__":{"admin":true}}]}`),
    // Wrong content types.
    post('text/plain body', json({ registrations: [reg(7)] }), { headers: { 'content-type': 'text/plain' }, expect: 415 }),
    post('XML body', '<registrations/>', { headers: { 'content-type': 'application/xml' }, expect: 415 }),
    post('form body', 'registrations=1', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: 415 }),
    post('multipart body', '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n', { headers: { 'content-type': 'multipart/form-data; boundary=b' } }),
    post('no content type', json({ registrations: [reg(8)] }), { headers: {} }),
    post('content type with a bad charset', json({ registrations: [reg(9)] }), { headers: { 'content-type': 'application/json; charset=ebcdic' } }),
    // SQL-like and unicode names: stored as text or refused per record, never an error.
    post('SQL in a name', batch(reg(10, { fullName: "Robert'); DROP TABLE registrations;--" }))),
    post('SQL in an externalId', batch({ ...reg(11), externalId: "1' OR '1'='1" })),
    post('emoji and RTL name', batch(reg(12, { fullName: 'Siti 😀 \u202eAminah\u202c' }))),
    post('combining marks and zero-width', batch(reg(13, { fullName: 'Ṣ̷̨i̸ti\u200b\u200d Aminah' }))),
    post('CJK name', batch(reg(14, { fullName: '王小明' }))),
    post('10,000-character name', batch(reg(15, { fullName: 'A'.repeat(10_000) })), { rejectedPerRecord: true }),
    post('NIK as a number', batch({ ...reg(16), applicant: { ...person(16), nik: 1812014101900001 } }), { rejectedPerRecord: true }),
    // Out-of-scope writes.
    { name: 'village key posts a resident of another village', method: 'POST', path: '/v1/residents', key: k.village, headers: { 'content-type': 'application/json' },
      body: json({ residents: [resident(17, { villageCode: k.otherVillageCode })] }), rejectedPerRecord: true },
    post('agency key posts registrations', batch(reg(18)), { key: k.agency, expect: 403 }),
    post('kecamatan key posts registrations', batch(reg(19)), { key: k.kecamatan, expect: 403 }),
    { name: 'village key claims agency items', method: 'POST', path: `/v1/agencies/${k.agencyCode}/items/claim`, key: k.village, headers: { 'content-type': 'application/json' }, body: '{}', expect: 403 },
    { name: 'village key revokes a key', method: 'POST', path: '/v1/admin/keys/1/revoke', key: k.village, expect: 403 },
    { name: 'village key decides a review case', method: 'POST', path: '/v1/review-cases/1/decision', key: k.village, headers: { 'content-type': 'application/json' }, body: json({ decision: 'same' }), expect: 403 },
    // Out-of-scope reads.
    { name: 'village key reads another village\'s residents', path: `/v1/residents?village=${k.otherVillageCode}`, key: k.village, expect: 403 },
    { name: 'village key reads metrics', path: '/metrics', key: k.village, expect: 403 },
    { name: 'other village reads a registration', path: `/v1/registrations/${k.registrationId}`, key: k.otherVillage, expect: 404 },
    { name: 'registration id not a number', path: '/v1/registrations/abc', key: k.village, expect: 400 },
    { name: 'registration id past int4', path: '/v1/registrations/99999999999', key: k.village, expect: 400 },
    { name: 'NUL in a query string', path: '/v1/residents?village=%00', key: k.village, expect: 400 },
    { name: 'limit out of range', path: '/v1/residents?limit=-1', key: k.village, expect: 400 },
    // Forged and dead tokens.
    post('no token', batch(reg(20)), { key: null, expect: 401 }),
    post('Bearer without a token', batch(reg(21)), { key: null, headers: { 'content-type': 'application/json', authorization: 'Bearer' }, expect: 401 }),
    post('Basic credentials', batch(reg(22)), { key: null, headers: { 'content-type': 'application/json', authorization: 'Basic YWRtaW46YWRtaW4=' }, expect: 401 }),
    post('forged key', batch(reg(23)), { key: `thv_${'A'.repeat(32)}`, expect: 401 }),
    post('key with one character changed', batch(reg(24)), { key: `${k.village.slice(0, -1)}${k.village.endsWith('A') ? 'B' : 'A'}`, expect: 401 }),
    post('10 KB token', batch(reg(25)), { key: 'x'.repeat(10_000), expect: 401 }),
    post('revoked key', batch(reg(26)), { key: k.revoked, expect: 401 }),
    post('expired key', batch(reg(27)), { key: k.expired, expect: 401 }),
    { name: 'OpenDK upload without a token', method: 'POST', path: '/api/v1/penduduk/storedata', key: null, headers: { 'content-type': 'application/json' }, body: '{}', opensid: true },
    { name: 'OpenDK upload with a forged token', method: 'POST', path: '/api/v1/penduduk/storedata', key: 'forged-opendk-token', headers: { 'content-type': 'application/json' }, body: '{}', opensid: true },
    { name: 'file import of garbage', method: 'POST', path: '/v1/imports', key: k.village, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from('PK\u0003\u0004garbage') },
  ];
  return { probes, people };
}

/**
 * Over node:http rather than fetch: a server refuses an oversized body with 413 before reading it, and
 * fetch reports the reset of the upload instead of the answer that came first.
 */
function send(url: string, p: Probe): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { ...(p.headers ?? {}) };
  if (p.key) headers.authorization = `Bearer ${p.key}`;
  const body = p.body === undefined ? undefined : Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body);
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(`${url}${p.path}`, { method: p.method ?? 'GET', headers, timeout: 30_000 }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    // After an early answer the rest of the upload may be refused: the answer counts.
    req.on('error', (err) => { if (!answered) reject(err); });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (!body || body.length < 1024 * 1024) { req.end(body); return; }
    // A large body: the first part, then the answer (a 413 comes from the headers alone) before the rest.
    req.write(body.subarray(0, 64 * 1024));
    setTimeout(() => { if (!answered) req.end(body.subarray(64 * 1024)); }, 3000);
  });
}

function judge(p: Probe, status: number, body: unknown): ProbeResult {
  if (status >= 500 || status === 0) return { name: p.name, status, ok: false, why: 'server error' };
  if (p.expect !== undefined && status !== p.expect) return { name: p.name, status, ok: false, why: `expected ${p.expect}` };
  if (p.rejectedPerRecord && status < 300) {
    const records = (body as { records?: { status: string }[] }).records ?? [];
    if (records.length === 0 || records.some((r) => r.status !== 'rejected')) return { name: p.name, status, ok: false, why: 'a record was not rejected' };
  }
  if (status >= 400 && !p.opensid) {
    const b = body as { code?: string; message?: { id?: string; en?: string } };
    if (!b?.code || !b.message?.id || !b.message?.en) return { name: p.name, status, ok: false, why: 'not problem+json with code and message {id, en}' };
  }
  return { name: p.name, status, ok: true };
}

/** Runs the corpus, plus concurrent retries with one Idempotency-Key and a reused key with another body. */
export async function runProbes(url: string, k: ProbeKeys, seed: number): Promise<{ results: ProbeResult[]; people: TestApplicant[] }> {
  const { probes, people } = buildProbes(k, seed);
  const results: ProbeResult[] = [];
  for (const p of probes) {
    try {
      const { status, body } = await send(url, p);
      results.push(judge(p, status, body));
    } catch (err) {
      results.push({ name: p.name, status: 0, ok: false, why: (err as Error).message });
    }
  }
  const a = applicant(seed + 900, { villageCode: k.villageCode });
  people.push(a);
  const body = json({ registrations: [{ externalId: `probe-${seed}-idem`, service: 'KTP_EL_BARU', applicant: a }] });
  const idem = `probe-${seed}-concurrent`;
  const same = await Promise.all(Array.from({ length: 5 }, () => fetch(`${url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${k.village}`, 'content-type': 'application/json', 'idempotency-key': idem }, body,
  }).then((r) => r.status).catch(() => 0)));
  const okSame = same.every((s) => s === 202 || s === 409) && same.includes(202);
  results.push({ name: 'five concurrent requests with one Idempotency-Key', status: Math.max(...same), ok: okSame, ...(okSame ? {} : { why: same.join(',') }) });
  const b2 = applicant(seed + 901, { villageCode: k.villageCode });
  people.push(b2);
  const reused = await fetch(`${url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${k.village}`, 'content-type': 'application/json', 'idempotency-key': idem },
    body: json({ registrations: [{ externalId: `probe-${seed}-idem2`, service: 'KTP_EL_BARU', applicant: b2 }] }),
  });
  const reusedBody = await reused.json().catch(() => ({})) as { code?: string };
  results.push({ name: 'Idempotency-Key reused with another body', status: reused.status, ok: reused.status === 422 && reusedBody.code === 'IDEMPOTENCY_KEY_REUSED' });
  return { results, people };
}
