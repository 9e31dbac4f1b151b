/**
 * A decision's evidence in words, Indonesian first, for the kecamatan staff who review it: one line
 * per field that was compared and one per guard, strongest evidence first. Pure: the levels and
 * guard names are the engine's; only their wording lives here.
 */
import type { Evidence, FieldName, GuardName } from './types.js';

export interface ExplainedLine {
  /** The field, or `guard` for a guard. */
  field: FieldName | 'guard';
  /** Log2 weight the field added (0 for a guard). */
  weight: number;
  id: string;
  en: string;
}

type Words = Record<string, [id: string, en: string]>;

const FIELD_WORDS: Record<FieldName, Words> = {
  nik: {
    exact: ['NIK sama', 'Same NIK'],
    one_digit: ['NIK berbeda satu angka (salah ketik?)', 'NIKs one digit apart (a typo?)'],
    transposed: ['NIK dengan dua angka bersebelahan tertukar', 'NIKs with two adjacent digits swapped'],
    different: ['NIK berbeda', 'Different NIKs'],
  },
  name: {
    exact: ['Nama sama', 'Same name'],
    phonetic: ['Nama sama, ejaan berbeda', 'Same name, spelt differently'],
    close: ['Nama hampir sama (salah ketik atau urutan berbeda)', 'Nearly the same name (a typo or another order)'],
    partial: ['Sebagian nama sama (bagian nama dihilangkan atau disingkat)', 'Part of the name the same (parts left out or abbreviated)'],
    typo: ['Nama sama kecuali satu bagian yang mirip', 'Same name but one part, which is alike'],
    similar: ['Nama mirip', 'Similar names'],
    one_part: ['Satu bagian nama sama, bagian lain berbeda', 'One part of the name the same, another different'],
    different: ['Nama berbeda', 'Different names'],
  },
  birthDate: {
    exact: ['Tanggal lahir sama', 'Same birth date'],
    exact_placeholder: ['Tanggal lahir sama, tetapi tanggal pengganti (1 Jan, 1 Jul atau 31 Des)', 'Same birth date, but a placeholder (1 Jan, 1 Jul or 31 Dec)'],
    swapped: ['Tanggal dan bulan lahir tertukar', 'Day and month of birth swapped'],
    year_off: ['Tanggal lahir sama, tahun beda satu', 'Same birthday, years one apart'],
    placeholder_year: ['Satu tanggal lahir adalah tanggal pengganti pada tahun yang sama', 'One birth date is a placeholder in the same year'],
    one_part: ['Tanggal lahir beda satu bagian (hari, bulan atau tahun)', 'Birth dates differ in one part (day, month or year)'],
    different: ['Tanggal lahir berbeda', 'Different birth dates'],
  },
  sex: {
    agree: ['Jenis kelamin sama', 'Same sex'],
    disagree: ['Jenis kelamin berbeda', 'Different sex'],
  },
  motherName: {
    agree: ['Nama ibu kandung sama', "Same mother's name"],
    similar: ['Nama ibu kandung mirip', "Similar mothers' names"],
    different: ['Nama ibu kandung berbeda', "Different mothers' names"],
  },
  kk: {
    same: ['No. KK sama', 'Same family card (KK)'],
    different: ['No. KK berbeda (keluarga pindah atau pecah KK?)', 'Different family cards (a move or a split?)'],
  },
  village: {
    same: ['Desa/tiyuh sama', 'Same village'],
    different: ['Desa/tiyuh berbeda', 'Different villages'],
  },
  birthPlace: {
    agree: ['Tempat lahir sama', 'Same birthplace'],
    different: ['Tempat lahir berbeda', 'Different birthplaces'],
  },
  address: {
    similar: ['Alamat sama', 'Same address'],
    close: ['Alamat hampir sama (nomor, RT dan RW sama)', 'Nearly the same address (same numbers, RT and RW)'],
    different: ['Alamat berbeda', 'Different addresses'],
  },
  locality: {
    agree: ['Dusun/lingkungan sama', 'Same locality (dusun)'],
    different: ['Dusun/lingkungan berbeda', 'Different localities (dusun)'],
  },
  postcode: {
    same: ['Kode pos sama', 'Same postcode'],
    different: ['Kode pos berbeda', 'Different postcodes'],
  },
  religion: {
    agree: ['Agama sama', 'Same religion'],
    different: ['Agama berbeda', 'Different religions'],
  },
  occupation: {
    agree: ['Pekerjaan sama', 'Same occupation'],
    different: ['Pekerjaan berbeda', 'Different occupations'],
  },
};

const GUARD_WORDS: Record<GuardName, [id: string, en: string]> = {
  nik_conflict: [
    'Dua NIK sah yang berbeda, masing-masing cocok dengan tanggal lahir dan jenis kelaminnya: mungkin dua orang',
    'Two valid, different NIKs, each fitting its own birth date and sex: perhaps two people',
  ],
  twins: [
    'Satu keluarga (KK atau ibu sama) dengan nama berbeda: mungkin saudara kembar atau kakak-adik',
    'One family (same KK or mother) with different names: perhaps twins or siblings',
  ],
  parent_child: [
    'Nama sama, tahun lahir terpaut jauh: mungkin orang tua dan anak yang diberi nama sama',
    'Same name, birth years far apart: perhaps a parent and a child named after them',
  ],
  cluster_inconsistent: [
    'Tidak cocok dengan catatan lain milik warga ini',
    "Does not fit another record of this citizen",
  ],
};

/**
 * The evidence as lines in Indonesian and English: guards first, then fields by the weight they
 * added. Evidence as stored (JSON) may lack parts; what is missing is left out.
 */
export function explainEvidence(e: Partial<Evidence> | null | undefined): ExplainedLine[] {
  if (!e || typeof e !== 'object') return [];
  const guards: ExplainedLine[] = [];
  const seen = new Set<string>();
  for (const g of Array.isArray(e.guards) ? e.guards : []) {
    if (seen.has(g.guard)) continue;
    seen.add(g.guard);
    const [id, en] = GUARD_WORDS[g.guard] ?? [g.reason, g.reason];
    guards.push({ field: 'guard', weight: 0, id, en });
  }
  const fields: ExplainedLine[] = [];
  for (const f of Array.isArray(e.fields) ? e.fields : []) {
    const words = FIELD_WORDS[f.field]?.[f.level];
    if (!words) continue;
    fields.push({ field: f.field, weight: f.weight, id: words[0], en: words[1] });
  }
  fields.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  return [...guards, ...fields];
}
