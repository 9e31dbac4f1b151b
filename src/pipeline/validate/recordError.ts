/**
 * Why a record was refused or flagged. `code` is stable (clients branch on it), `field` is a dotted
 * path into the record, `message` speaks Indonesian to village and kecamatan staff and English to integrators.
 */
export interface RecordError {
  code: string;
  field: string;
  message: { id: string; en: string };
}

type Text = (field: string, detail: string) => { id: string; en: string };

const CATALOGUE: Record<string, Text> = {
  FIELD_REQUIRED: (f, d) => ({ id: `Kolom ${f} wajib diisi${d ? ` (${d})` : ''}.`, en: `${f} is required${d ? ` (${d})` : ''}.` }),
  FIELD_UNKNOWN: (f) => ({ id: `Kolom ${f} tidak dikenal.`, en: `${f} is not a known field.` }),
  FIELD_TYPE: (f, d) => ({ id: `Kolom ${f} harus bertipe ${d}.`, en: `${f} must be of type ${d}.` }),
  FIELD_EMPTY: (f) => ({ id: `Kolom ${f} tidak boleh kosong.`, en: `${f} must not be empty.` }),
  FIELD_TOO_LONG: (f, d) => ({ id: `Kolom ${f} terlalu panjang (maksimal ${d} karakter).`, en: `${f} is too long (at most ${d} characters).` }),
  FIELD_FORMAT: (f, d) => ({ id: `Format kolom ${f} tidak sesuai: ${d}.`, en: `${f} has the wrong format: ${d}.` }),
  FIELD_ENUM: (f, d) => ({ id: `Nilai kolom ${f} harus salah satu dari ${d}.`, en: `${f} must be one of ${d}.` }),
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
  DATE_INVALID: (f, d) => ({ id: `Tanggal pada kolom ${f} tidak sah: ${d}.`, en: `${f} is not a valid date: ${d}.` }),
  DATE_IN_FUTURE: (f) => ({ id: `Tanggal pada kolom ${f} berada di masa depan.`, en: `${f} lies in the future.` }),
  DETAILS_INVALID: (f, d) => ({ id: `Rincian layanan tidak sesuai: ${f} ${d}.`, en: `Service details are not valid: ${f} ${d}.` }),
  EXTERNAL_ID_DUPLICATE: (f, d) => ({ id: `externalId "${d}" muncul lebih dari sekali dalam kiriman ini.`, en: `externalId "${d}" appears more than once in this batch.` }),
  VILLAGE_OUT_OF_SCOPE: (f, d) => ({ id: `Kode desa ${d} tidak terdaftar di kecamatan untuk token ini.`, en: `Village ${d} is outside the scope of this key.` }),
  LOCAL_ID_DUPLICATE: (f, d) => ({ id: `id penduduk ${d} muncul lebih dari sekali dalam kiriman ini.`, en: `Resident id ${d} appears more than once in this submission.` }),
  LETTER_TYPE_UNMAPPED: (f, d) => ({ id: `Jenis surat "${d}" belum dipetakan ke layanan MPP; tambahkan pada letterServices sumber data desa ini.`, en: `Letter type "${d}" is not mapped to an MPP service; add it to this village source's letterServices.` }),
  APPLICANT_NOT_FOUND: (f, d) => ({ id: `Pemohon${d ? ` (${d})` : ''} tidak ditemukan di antara penduduk desa yang diterima hub; perbaiki atau kirim data penduduknya terlebih dahulu.`, en: `The applicant${d ? ` (${d})` : ''} is not among the village residents the hub holds; correct or send the resident first.` }),
  CODE_UNKNOWN: (f, d) => ({ id: `Kode ${f} "${d}" tidak dikenal.`, en: `${f} code "${d}" is not known.` }),
};

export function recordError(code: keyof typeof CATALOGUE | string, field: string, detail = ''): RecordError {
  const text = CATALOGUE[code];
  if (!text) throw new Error(`unknown error code ${code}`);
  return { code, field, message: text(field, detail) };
}
