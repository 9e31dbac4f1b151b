import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';

// Messages read by village operators and agency officers: Indonesian in `id`, English in `en`, never mixed or doubled.
const th = await startTestHub(t);
const villageKey = await th.key('village', { villageCode: PANARAGAN });
const agencyKey = await th.key('agency', { agencyCode: 'disdukcapil' });

async function call(method: string, p: string, key: string, body?: unknown) {
  const res = await fetch(`${th.url}${p}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as { code: string; message: { id: string; en: string }; errors?: { code: string; field: string; message: { id: string; en: string } }[] } };
}

/** English words that must not appear in an Indonesian message. */
const ENGLISH = /\b(must|not found|should|is required|key may|one of)\b/i;

t.test('service details that do not fit the service are told once, in each language', async (t) => {
  const a = applicant(1);
  const res = await call('POST', '/v1/registrations', villageKey, { externalId: 'msg-1', service: 'KTP_EL_HILANG_RUSAK', applicant: a, details: { reason: 'dicuri' } });
  t.equal(res.status, 422);
  t.equal(res.body.code, 'DETAILS_INVALID');
  t.equal(res.body.message.id, 'Rincian layanan tidak sesuai: Nilai kolom alasan (rincian layanan) harus salah satu dari: hilang, rusak.');
  t.equal(res.body.message.en, 'Service details are not valid: details.reason must be one of: hilang, rusak.');
  t.notMatch(res.body.message.id, ENGLISH);
});

t.test('validator findings come out in Indonesian from ajv-i18n, English beside them', async (t) => {
  const res = await call('POST', '/v1/registrations', villageKey, { externalId: 'msg-2', service: 'KTP_EL_BARU', applicant: { ...applicant(2), phone: 'abc' } });
  t.equal(res.status, 422);
  const phone = res.body.errors!.find((e) => e.field === 'applicant.phone')!;
  t.match(phone.message.id, /^Isi kolom nomor telepon pemohon tidak sesuai: harus cocok dengan pola/);
  t.match(phone.message.en, /^applicant\.phone has the wrong format: must match pattern/);
  for (const e of res.body.errors!) t.notMatch(e.message.id, ENGLISH, e.message.id);
});

t.test('not found and forbidden name the thing in each language', async (t) => {
  const missing = await call('GET', '/v1/registrations/999999', villageKey);
  t.same(missing.body.message, { id: 'Pendaftaran tidak ditemukan.', en: 'Registration not found.' });
  const wrongRole = await call('GET', '/v1/registrations/1', agencyKey);
  t.same(wrongRole.body.message, { id: 'Kunci instansi tidak boleh memakai layanan ini.', en: 'An agency key may not use this endpoint.' });
});

t.test('a number out of range is told as a range, not as a format', async (t) => {
  const res = await call('POST', '/v1/agencies/disdukcapil/items/claim', agencyKey, { max: 0 });
  t.equal(res.status, 400);
  t.equal(res.body.code, 'FIELD_RANGE');
  t.equal(res.body.message.id, 'Nilai kolom max harus >= 1.');
  t.equal(res.body.message.en, 'max must be >= 1.');
});
