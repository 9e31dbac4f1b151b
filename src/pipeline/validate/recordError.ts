/**
 * Why a record was refused or flagged. `code` is stable (clients branch on it), `field` is a dotted
 * path into the record, `message` speaks Indonesian to village and kecamatan staff and English to integrators.
 */
export interface RecordError {
  code: string;
  field: string;
  message: { id: string; en: string };
}

/** A detail quoted into a message: one text for both languages, or each language its own. */
export type Detail = string | { id: string; en: string };

/**
 * Indonesian names of the fields, for the Indonesian messages (the English ones and `field` keep the
 * path a program uses). A field not named here is shown as its path.
 */
const LABELS: Record<string, string> = {
  localId: 'id penduduk', villageCode: 'kode desa', nik: 'NIK', kk: 'nomor KK', fullName: 'nama', sex: 'jenis kelamin',
  birthDate: 'tanggal lahir', birthPlace: 'tempat lahir', religion: 'agama', maritalStatus: 'status kawin',
  familyRole: 'hubungan keluarga', education: 'pendidikan', occupation: 'pekerjaan', citizenship: 'kewarganegaraan',
  fatherName: 'nama ayah', motherName: 'nama ibu', address: 'alamat', dusun: 'dusun', rt: 'RT', rw: 'RW',
  statusDasar: 'status dasar', sourceUpdatedAt: 'waktu perubahan', phone: 'nomor telepon', service: 'layanan',
  submittedAt: 'waktu pengajuan', details: 'rincian layanan', applicant: 'pemohon', registrations: 'daftar pendaftaran',
  residents: 'daftar penduduk', externalIds: 'daftar externalId', reason: 'alasan',
};

/** "applicant.birthDate" → "tanggal lahir pemohon"; "details.reason" → "reason (rincian layanan)". */
export function fieldLabel(field: string): string {
  const parts = field.split('.').filter((p) => p !== '' && p !== 'body' && p !== 'querystring' && p !== 'params' && p !== 'headers');
  if (parts.length === 0) return 'isi kiriman';
  const last = parts[parts.length - 1]!;
  const name = /^\d+$/.test(last) ? `ke-${Number(last) + 1}` : LABELS[last] ?? last;
  if (parts[0] === 'applicant' && parts.length > 1) return `${name} pemohon`;
  if (parts[0] === 'details' && parts.length > 1) return `${name} (rincian layanan)`;
  return name;
}

/** f: the field's Indonesian label; d: the detail in Indonesian; e: in English; p: the field's path. */
const CATALOGUE: Record<string, (f: string, d: string, e: string, p: string) => { id: string; en: string }> = {
  FIELD_REQUIRED: (f, d, e, p) => ({ id: `Kolom ${f} wajib diisi${d ? ` (${d})` : ''}.`, en: `${p} is required${e ? ` (${e})` : ''}.` }),
  FIELD_UNKNOWN: (f, d, e, p) => ({ id: `Kolom ${f} tidak dikenal.`, en: `${p} is not a known field.` }),
  FIELD_TYPE: (f, d, e, p) => ({ id: `Kolom ${f} harus bertipe ${TYPES[d] ?? d}.`, en: `${p} must be of type ${e}.` }),
  FIELD_EMPTY: (f, d, e, p) => ({ id: `Kolom ${f} tidak boleh kosong.`, en: `${p} must not be empty.` }),
  FIELD_TOO_LONG: (f, d, e, p) => ({ id: `Kolom ${f} terlalu panjang (paling banyak ${d} karakter).`, en: `${p} is too long (at most ${e} characters).` }),
  FIELD_RANGE: (f, d, e, p) => ({ id: `Nilai kolom ${f} ${d}.`, en: `${p} ${e}.` }),
  FIELD_FORMAT: (f, d, e, p) => ({ id: `Isi kolom ${f} tidak sesuai: ${d}.`, en: `${p} has the wrong format: ${e}.` }),
  FIELD_ENUM: (f, d, e, p) => ({ id: `Nilai kolom ${f} harus salah satu dari: ${d}.`, en: `${p} must be one of: ${e}.` }),
  SERVICE_UNKNOWN: (f, d) => ({ id: `Kode layanan "${d}" tidak ada dalam katalog layanan MPP.`, en: `Service code "${d}" is not in the MPP service catalogue.` }),
  VILLAGE_CODE_INVALID: (f, d) => ({ id: `Kode wilayah "${d}" tidak sah; gunakan kode desa Kemendagri 10 digit atau bertitik (18.12.01.2002).`, en: `"${d}" is not a village code; use the 10-digit or dotted Kemendagri code (18.12.01.2002).` }),
  VILLAGE_CODE_UNKNOWN: (f, d) => ({ id: `Kode desa/tiyuh "${d}" tidak terdaftar di Kabupaten Tulang Bawang Barat.`, en: `Village code "${d}" is not a tiyuh or kelurahan of Tulang Bawang Barat.` }),
  NIK_INVALID_FORMAT: () => ({ id: 'NIK harus 16 digit angka.', en: 'NIK must be 16 digits.' }),
  NIK_INVALID_DATE: (f, d) => ({ id: `Bagian tanggal lahir pada NIK tidak sah (${d}).`, en: `The birth-date part of the NIK is not valid (${d}).` }),
  NIK_INVALID_PROVINCE: (f, d) => ({ id: `Kode provinsi NIK "${d}" tidak dikenal.`, en: `NIK province code "${d}" does not exist.` }),
  NIK_INVALID_REGION: (f, d) => ({ id: `Kode wilayah NIK "${d}" tidak ada.`, en: `NIK region code "${d}" does not exist.` }),
  NIK_INVALID_SERIAL: () => ({ id: 'Nomor urut NIK tidak boleh 0000.', en: 'The NIK serial number cannot be 0000.' }),
  NIK_TEMPORARY: () => ({ id: 'NIK sementara OpenSID bukan NIK kependudukan; layanan ini memerlukan NIK.', en: 'An OpenSID temporary NIK is not a real NIK; this service needs one.' }),
  NIK_BIRTHDATE_MISMATCH: () => ({ id: 'Tanggal lahir pada NIK berbeda dengan tanggal lahir yang diisi.', en: 'The NIK birth date differs from the given birth date.' }),
  NIK_SEX_MISMATCH: () => ({ id: 'Jenis kelamin pada NIK berbeda dengan jenis kelamin yang diisi.', en: 'The sex encoded in the NIK differs from the given sex.' }),
  KK_INVALID_FORMAT: () => ({ id: 'Nomor KK harus 16 digit angka.', en: 'KK number must be 16 digits.' }),
  KK_INVALID_DATE: (f, d) => ({ id: `Bagian tanggal pada nomor KK tidak sah (${d}).`, en: `The date part of the KK number is not valid (${d}).` }),
  DATE_INVALID: (f, d, e, p) => ({ id: `Tanggal pada kolom ${f} tidak sah: ${d}.`, en: `${p} is not a valid date: ${e}.` }),
  DATE_IN_FUTURE: (f, d, e, p) => ({ id: `Tanggal pada kolom ${f} berada di masa depan.`, en: `${p} lies in the future.` }),
  DETAILS_INVALID: (f, d, e) => ({ id: `Rincian layanan tidak sesuai: ${d}`, en: `Service details are not valid: ${e}` }),
  EXTERNAL_ID_DUPLICATE: (f, d) => ({ id: `externalId "${d}" muncul lebih dari sekali dalam kiriman ini.`, en: `externalId "${d}" appears more than once in this batch.` }),
  VILLAGE_OUT_OF_SCOPE: (f, d) => ({ id: `Desa ${d} berada di luar wilayah kunci/token ini.`, en: `Village ${d} is outside the scope of this key.` }),
  LOCAL_ID_DUPLICATE: (f, d) => ({ id: `id penduduk ${d} muncul lebih dari sekali dalam kiriman ini.`, en: `Resident id ${d} appears more than once in this submission.` }),
  LETTER_TYPE_UNMAPPED: (f, d) => ({ id: `Jenis surat "${d}" belum dipetakan ke layanan MPP; tambahkan pada letterServices sumber data desa ini.`, en: `Letter type "${d}" is not mapped to an MPP service; add it to this village source's letterServices.` }),
  APPLICANT_NOT_FOUND: (f, d) => ({ id: `Pemohon${d ? ` (${d})` : ''} tidak ditemukan di antara penduduk desa yang diterima hub; perbaiki atau kirim data penduduknya terlebih dahulu.`, en: `The applicant${d ? ` (${d})` : ''} is not among the village residents the hub holds; correct or send the resident first.` }),
  CODE_UNKNOWN: (f, d, e, p) => ({ id: `Kode ${f} "${d}" tidak dikenal.`, en: `${p} code "${e}" is not known.` }),
};

const TYPES: Record<string, string> = {
  string: 'teks', integer: 'bilangan bulat', number: 'angka', boolean: 'boolean (true/false)', object: 'objek', array: 'larik', null: 'null',
};

export function recordError(code: keyof typeof CATALOGUE | string, field: string, detail: Detail = ''): RecordError {
  const text = CATALOGUE[code];
  if (!text) throw new Error(`unknown error code ${code}`);
  const [id, en] = typeof detail === 'string' ? [detail, detail] : [detail.id, detail.en];
  return { code, field, message: text(fieldLabel(field), id, en, field) };
}
