/**
 * Seeded synthetic population of Kabupaten Tulang Bawang Barat with ground truth: households with
 * KK numbers and SHDK relations, Javanese/Sundanese/Balinese transmigrant and Lampung native names,
 * twins, children named after a parent, movers registered again in another tiyuh, and the noise
 * real registers carry (name variants, typos, upper-case SIAK style, titles, missing or mistyped NIK
 * digits, OpenSID temporary NIKs, swapped and placeholder dates).
 */
import { rngFor } from '../pipeline/identity/random.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PersonRecord } from '../pipeline/identity/types.js';

/** A resident as a village system holds them. */
export interface Resident {
  /** Ground-truth person id. */
  truthId: string;
  /** The village system's own resident id (OpenSID tweb_penduduk.id). */
  residentId: number;
  villageCode: string;
  nik: string | null;
  kk: string;
  /** SHDK: 1 head, 3 wife, 4 child, 7 parent (see reference/opensid.md §3). */
  kkLevel: number;
  fullName: string;
  sex: 'M' | 'F';
  birthDate: string;
  birthPlace: string;
  motherName: string | null;
  fatherName: string | null;
  address: string;
  dusun: string;
  rt: string;
  rw: string;
  /** agama_id 1-7 */
  religionId: number;
  religion: string;
  occupation: string;
  /** status_dasar: 1 alive, 3 moved */
  status: number;
}

/** A record as the identity engine receives it, with the truth for evaluation. */
export interface SyntheticRecord extends PersonRecord {
  truthId: string;
  residentId: number;
  kkLevel: number;
  dusun: string;
  rt: string;
  rw: string;
  status: number;
}

/** Pairs of different people that must never be merged (twins, a child named after a parent). */
export interface ForbiddenPair {
  a: string;
  b: string;
  kind: 'twins' | 'parent_child';
}

export interface PopulationOptions {
  seed?: number;
  /** Stop once this many records have been produced. */
  records: number;
  /** Share of people with a second (or third) record somewhere. */
  duplicateRate?: number;
  /** Strength of noise on duplicate records, 0..2 (1 = realistic). */
  noise?: number;
}

export interface Population {
  records: SyntheticRecord[];
  residents: Resident[];
  forbidden: ForbiddenPair[];
}


interface Village {
  code: string;
  name: string;
  kecamatan: string;
}

let villagesCache: Village[] | null = null;

/** Villages (desa and kelurahan) from config/regions.csv. */
export function tubabaVillages(): Village[] {
  if (villagesCache) return villagesCache;
  const path = fileURLToPath(new URL('../../config/regions.csv', import.meta.url));
  const out: Village[] = [];
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/).slice(1)) {
    const [code, name, level] = line.split(',');
    if (!code || !name || (level !== 'desa' && level !== 'kelurahan')) continue;
    const digits = code.replace(/\./g, '');
    out.push({ code: digits, name: name.trim(), kecamatan: digits.slice(0, 6) });
  }
  villagesCache = out;
  return out;
}

type Culture = 'jawa' | 'lampung' | 'sunda' | 'bali' | 'muslim';

const NAMES: Record<Culture, { m: string[]; f: string[]; second: { m: string[]; f: string[] } }> = {
  jawa: {
    m: ['Slamet', 'Sugeng', 'Suyanto', 'Sutrisno', 'Bambang', 'Joko', 'Purwanto', 'Wahyudi', 'Sukirno', 'Paijo', 'Tukiman',
      'Suparman', 'Sumarno', 'Haryanto', 'Supriyadi', 'Sugiarto', 'Suwarno', 'Teguh', 'Eko', 'Agus', 'Budi', 'Hadi', 'Darmaji',
      'Kasmin', 'Ngadiman', 'Sarwono', 'Triyono', 'Wagiman', 'Riyanto', 'Widodo', 'Prayitno', 'Margono', 'Sukardi', 'Parjo',
      'Karyono', 'Suroto', 'Jumadi', 'Mulyono', 'Sarijan', 'Kasiman', 'Wiyono', 'Sunardi', 'Suyatno', 'Tugiyo', 'Sadimin',
      'Giyanto', 'Darsono', 'Nurhadi', 'Sumadi', 'Edi', 'Heru', 'Dwi', 'Tri', 'Sukamto', 'Waluyo', 'Rusdi', 'Marsono'],
    f: ['Sumiati', 'Suyatmi', 'Tumini', 'Sukarni', 'Paini', 'Lestari', 'Rukmini', 'Suparmi', 'Wartini', 'Ngatini', 'Sulastri',
      'Endang', 'Kasmiyati', 'Sumarni', 'Painem', 'Yuliani', 'Rini', 'Rina', 'Wulan', 'Ratna', 'Sri', 'Dwi', 'Tri', 'Suwarni',
      'Parmi', 'Tukinem', 'Sarinah', 'Juminten', 'Sutinah', 'Warsini', 'Mujiati', 'Partini', 'Sugiyem', 'Katini', 'Marsinah',
      'Surati', 'Tarmi', 'Yatmi', 'Jumiyem', 'Sukini', 'Kusmiati', 'Harini', 'Wiji', 'Murni', 'Suprapti', 'Kustini'],
    second: {
      m: ['Santoso', 'Susanto', 'Wibowo', 'Nugroho', 'Setiawan', 'Prasetyo', 'Wahyono', 'Purnomo', 'Raharjo', 'Hartono',
        'Widodo', 'Kurniawan', 'Saputro', 'Suryono', 'Sutanto', 'Budiono', 'Utomo', 'Hariyadi'],
      f: ['Wahyuni', 'Rahayu', 'Astuti', 'Lestari', 'Handayani', 'Wulandari', 'Ningsih', 'Susanti', 'Suryani', 'Purwanti',
        'Hastuti', 'Setyowati', 'Rahmawati', 'Kusumawati', 'Sulistyowati', 'Pujiastuti', 'Widayati'],
    },
  },
  muslim: {
    m: ['Muhammad', 'Ahmad', 'Abdul', 'Hasan', 'Husein', 'Ali', 'Umar', 'Yusuf', 'Ibrahim', 'Ismail', 'Ilham', 'Rizki', 'Fauzi',
      'Arif', 'Hidayat', 'Syaiful', 'Zainal', 'Khoirul', 'Saleh', 'Salim', 'Rahmat', 'Hamid', 'Ridwan', 'Fajar', 'Imam',
      'Anwar', 'Syamsul', 'Mahmud', 'Nasrul', 'Zulkifli', 'Taufik', 'Hamzah', 'Sholeh', 'Lukman', 'Amin', 'Bahrudin',
      'Misbah', 'Jamaludin', 'Nurdin', 'Rosyid', 'Muhlis', 'Samsudin', 'Kholil', 'Anas', 'Fathur'],
    f: ['Siti', 'Nur', 'Aisyah', 'Khadijah', 'Zulaikha', 'Nurjanah', 'Rohmah', 'Halimah', 'Maryam', 'Zainab', 'Fitri', 'Umi',
      'Rahmawati', 'Hasanah', 'Muslimah', 'Fatimah', 'Aminah', 'Nurul', 'Lailatul', 'Khotimah', 'Mutmainah', 'Rofiah',
      'Sholihah', 'Masitoh', 'Chusnul', 'Zahro', 'Latifah', 'Musyarofah', 'Sa\'adah', 'Maisaroh'],
    second: {
      m: ['Rahman', 'Aziz', 'Hakim', 'Hidayat', 'Fauzan', 'Mubarok', 'Huda', 'Ghofur', 'Syukur', 'Ansori', 'Effendi', 'Arifin',
        'Maulana', 'Hasyim', 'Ikhsan', 'Ramadhan', 'Firdaus', 'Mustofa', 'Wahid', 'Rosyidi', 'Nawawi', 'Kurniawan'],
      f: ['Aminah', 'Fatimah', 'Hayati', 'Hidayah', 'Khotijah', 'Kulsum', 'Rohmah', 'Mahmudah', 'Jannah', 'Azizah', 'Aini',
        'Zahra', 'Nafisah', 'Habibah', 'Sholehah', 'Rahmah', 'Munawaroh', 'Badriyah', 'Maghfiroh', 'Anisa'],
    },
  },
  lampung: {
    m: ['Rusli', 'Herman', 'Syahrial', 'Zulkarnain', 'Hasbullah', 'Effendi', 'Azhari', 'Darwis', 'Rozali', 'Yusran', 'Bustami',
      'Suhaimi', 'Hermansyah', 'Yusuf', 'Syahrudin', 'Ismet', 'Firmansyah', 'Rizal', 'Hendri', 'Joni', 'Rohim', 'Husin',
      'Mat', 'Abu', 'Zainudin', 'Baharudin', 'Ruslan', 'Sahril', 'Kamarudin', 'Umar', 'Tamrin', 'Syarifudin', 'Erwin'],
    f: ['Rosmawati', 'Herlina', 'Nurbaiti', 'Maimunah', 'Rusmini', 'Yusnani', 'Zubaidah', 'Aminah', 'Hartati', 'Marlina', 'Yulia',
      'Rosdiana', 'Nurlela', 'Hasnah', 'Rohana', 'Mardiana', 'Asnawati', 'Darmawati', 'Zaleha', 'Rosnah', 'Fauziah', 'Erni',
      'Emilia', 'Yusmaniar', 'Suryani', 'Nuraini', 'Rusnawati'],
    second: {
      m: ['Syah', 'Saputra', 'Pratama', 'Hadikusuma', 'Gelar', 'Alamsyah', 'Kusuma', 'Wijaya', 'Putra', 'Mahendra', 'Ramli',
        'Hamzah', 'Sanjaya', 'Abdullah', 'Ibrahim'],
      f: ['Wati', 'Sari', 'Yanti', 'Dewi', 'Susanti', 'Rahmawati', 'Ningsih', 'Fitriani', 'Hayati', 'Puspita', 'Yuliana',
        'Marlina', 'Novita'],
    },
  },
  sunda: {
    m: ['Asep', 'Ujang', 'Dedi', 'Cecep', 'Dadang', 'Entis', 'Iwan', 'Usep', 'Ade', 'Acep', 'Dede', 'Engkos', 'Maman', 'Jajang',
      'Ayi', 'Odik', 'Wawan', 'Yaya', 'Enjang', 'Didin', 'Dudung', 'Aep', 'Endang', 'Ukar', 'Otong', 'Kosim'],
    f: ['Euis', 'Neneng', 'Imas', 'Enok', 'Cucu', 'Iis', 'Yati', 'Nining', 'Elis', 'Teti', 'Lilis', 'Entin', 'Popon', 'Enung',
      'Nenden', 'Oneng', 'Cicih', 'Titin', 'Ela', 'Nani', 'Cucum', 'Eti', 'Iyah', 'Yayah'],
    second: {
      m: ['Sunarya', 'Sutisna', 'Permana', 'Hidayat', 'Saputra', 'Suryana', 'Rukmana', 'Kusnadi', 'Supriatna', 'Gunawan',
        'Sumpena', 'Mulyana', 'Somantri', 'Sukmana', 'Nugraha'],
      f: ['Rohaeti', 'Nurhasanah', 'Kurniasih', 'Rosita', 'Komariah', 'Halimah', 'Suryati', 'Hayati', 'Sumiati', 'Rukmini',
        'Kartika', 'Herawati', 'Maryati'],
    },
  },
  bali: {
    m: ['Sudarsana', 'Suarta', 'Artawan', 'Sukadana', 'Mertha', 'Budiasa', 'Suardana', 'Adnyana', 'Sudiarta', 'Wirawan',
      'Sutama', 'Darmawan', 'Suparta', 'Kariasa', 'Sukerta', 'Mudana', 'Wardana', 'Suweca', 'Parwata', 'Arsana'],
    f: ['Sukarini', 'Suartini', 'Ariani', 'Sriani', 'Wartini', 'Kartini', 'Sumertini', 'Astiti', 'Wiratni', 'Sukerti',
      'Darmini', 'Mariani', 'Suastini', 'Widiani', 'Rasmini', 'Sudarmi', 'Purniasih', 'Ardani'],
    second: { m: [], f: [] },
  },
};

/** Names of people born after 1995, across cultures. */
const MODERN = {
  m: ['Rizky', 'Dimas', 'Aditya', 'Fajar', 'Reza', 'Bayu', 'Andika', 'Aldi', 'Farhan', 'Rafi', 'Ilham', 'Yoga', 'Arya', 'Dafa',
    'Alif', 'Bagas', 'Rangga', 'Galih', 'Gilang', 'Raka', 'Fikri', 'Akbar', 'Hafiz', 'Zaki', 'Naufal', 'Rizal', 'Satria',
    'Wahyu', 'Anggi', 'Deni', 'Rendi', 'Yusril', 'Fadil', 'Azka', 'Kevin', 'Ferdi', 'Irfan', 'Ridho', 'Dani', 'Bima'],
  f: ['Dinda', 'Putri', 'Nabila', 'Aulia', 'Salsabila', 'Anisa', 'Dewi', 'Intan', 'Zahra', 'Aprilia', 'Novita', 'Ayu', 'Dian',
    'Indah', 'Fitria', 'Nadia', 'Rahma', 'Tiara', 'Wulan', 'Amelia', 'Cindy', 'Della', 'Elsa', 'Febri', 'Laras', 'Maya',
    'Nurul', 'Okta', 'Puspa', 'Riska', 'Sinta', 'Tasya', 'Vina', 'Yuni', 'Keisya', 'Alya', 'Nayla', 'Syifa', 'Aqila'],
  second: {
    m: ['Pratama', 'Saputra', 'Ramadhan', 'Maulana', 'Nugroho', 'Setiawan', 'Kurniawan', 'Firmansyah', 'Hidayat', 'Putra',
      'Wijaya', 'Prasetyo', 'Alfarizi', 'Febriansyah', 'Syahputra', 'Adi', 'Rahman', 'Permana', 'Akbar', 'Anugrah'],
    f: ['Lestari', 'Rahmawati', 'Safitri', 'Puspitasari', 'Ramadhani', 'Aulia', 'Putri', 'Anggraini', 'Wulandari', 'Maharani',
      'Azzahra', 'Oktaviani', 'Febriani', 'Nuraini', 'Kusuma', 'Permatasari', 'Amalia', 'Ayu', 'Fitriani', 'Khairunnisa'],
  },
};

const BALI_ORDER = { m: ['Wayan', 'Made', 'Nyoman', 'Ketut', 'Putu', 'Gede', 'Kadek', 'Komang'], f: ['Wayan', 'Made', 'Nyoman', 'Ketut', 'Putu', 'Kadek', 'Komang', 'Luh'] };

const JAVA_PLACES = ['Sragen', 'Wonogiri', 'Klaten', 'Boyolali', 'Kebumen', 'Banyumas', 'Cilacap', 'Ponorogo', 'Madiun',
  'Kediri', 'Blitar', 'Tulungagung', 'Purworejo', 'Gunung Kidul', 'Bantul', 'Sleman', 'Magelang', 'Pati', 'Grobogan'];
const SUNDA_PLACES = ['Garut', 'Tasikmalaya', 'Ciamis', 'Sumedang', 'Bandung', 'Cianjur', 'Kuningan'];
const BALI_PLACES = ['Karangasem', 'Klungkung', 'Buleleng', 'Tabanan', 'Gianyar', 'Bangli'];
const LAMPUNG_PLACES = ['Tulang Bawang Barat', 'Menggala', 'Panaragan', 'Tulang Bawang', 'Kotabumi', 'Bandar Lampung',
  'Metro', 'Gunung Terang', 'Tumijajar', 'Daya Murni', 'Pagar Dewa', 'Lambu Kibang', 'Way Kanan'];

const OCCUPATIONS = ['PETANI/PEKEBUN', 'BURUH HARIAN LEPAS', 'WIRASWASTA', 'PEDAGANG', 'KARYAWAN SWASTA', 'BURUH TANI/PERKEBUNAN',
  'PETERNAK', 'GURU', 'PEGAWAI NEGERI SIPIL (PNS)', 'SOPIR', 'TUKANG KAYU', 'PERANGKAT DESA'];
const RELIGIONS = ['ISLAM', 'KRISTEN', 'KATHOLIK', 'HINDU', 'BUDHA'];

/** Kabupaten codes a NIK of someone living in Tubaba may have been issued in (Java for transmigrants). */
const OUTSIDE_REGIONS = ['330101', '331401', '331201', '350201', '340301', '330501', '320501', '327301', '510701', '180201', '187101', '180301'];

interface Person {
  truthId: string;
  sex: 'M' | 'F';
  fullName: string;
  birth: { y: number; m: number; d: number };
  culture: Culture;
  nik: string | null;
  birthPlace: string;
  motherName: string | null;
  fatherName: string | null;
  religionId: number;
  occupation: string;
  kkLevel: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const ymd = (b: { y: number; m: number; d: number }) => `${b.y}-${pad2(b.m)}-${pad2(b.d)}`;

class PopulationBuilder {
  private readonly r: () => number;
  private readonly villages = tubabaVillages();
  private readonly usedNik = new Set<string>();
  private readonly usedKk = new Set<string>();
  private seq = 0;
  private residentSeq = new Map<string, number>();
  private tempSeq = new Map<string, number>();
  readonly residents: Resident[] = [];
  readonly records: SyntheticRecord[] = [];
  readonly forbidden: ForbiddenPair[] = [];

  constructor(seed: number, private readonly dupRate: number, private readonly noise: number) {
    this.r = rngFor(seed);
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)] as T;
  }

  private chance(p: number): boolean {
    return this.r() < p;
  }

  private culture(): Culture {
    const x = this.r();
    if (x < 0.45) return 'jawa';
    if (x < 0.7) return 'muslim';
    if (x < 0.85) return 'lampung';
    if (x < 0.94) return 'sunda';
    return 'bali';
  }

  private birthDate(y: number): { y: number; m: number; d: number } {
    const m = this.int(1, 12);
    const dim = new Date(Date.UTC(y, m, 0)).getUTCDate();
    // Older people often carry the date an official chose.
    if (y < 1970 && this.chance(0.25)) return this.pick([{ y, m: 1, d: 1 }, { y, m: 7, d: 1 }, { y, m: 12, d: 31 }]);
    return { y, m, d: this.int(1, dim) };
  }

  givenName(culture: Culture, sex: 'M' | 'F', year: number, birthOrder: number): string {
    const key = sex === 'M' ? 'm' : 'f';
    if (culture === 'bali') {
      const order = BALI_ORDER[key][birthOrder % 4] ?? 'Wayan';
      return `${sex === 'M' ? 'I' : 'Ni'} ${order} ${this.pick(NAMES.bali[key])}`;
    }
    const pool = year >= 1995 && this.chance(0.7) ? MODERN : NAMES[culture];
    let first = this.pick(pool[key]);
    if (culture !== 'muslim' && year < 1995 && this.chance(0.25)) first = this.pick(NAMES.muslim[key]);
    // Old Javanese often carry one name; younger people two or three.
    const parts = year < 1965 && culture === 'jawa' ? (this.chance(0.7) ? 1 : 2) : this.chance(0.15) ? 1 : this.chance(0.8) ? 2 : 3;
    const names = [first];
    const second = pool.second[key].length > 0 ? pool.second[key] : NAMES.muslim.second[key];
    while (names.length < parts) {
      const n = this.pick(names.length === 1 && this.chance(0.4) ? pool[key] : second);
      if (names.indexOf(n) < 0) names.push(n);
      else break;
    }
    // Muslim families put Muhammad or Siti (or Nur) before many given names.
    if (first !== 'Muhammad' && first !== 'Siti' && this.chance(0.12)) {
      names.unshift(sex === 'M' ? 'Muhammad' : this.chance(0.7) ? 'Siti' : 'Nur');
    }
    if (first === 'Muhammad' || first === 'Ahmad' || first === 'Abdul' || first === 'Siti' || first === 'Nur') {
      if (names.length === 1) names.push(this.pick(second));
    }
    return names.join(' ');
  }

  private makeNik(region: string, b: { y: number; m: number; d: number }, sex: 'M' | 'F'): string {
    const dd = pad2(b.d + (sex === 'F' ? 40 : 0));
    const stem = `${region}${dd}${pad2(b.m)}${pad2(b.y % 100)}`;
    for (let s = 1; s < 10000; s++) {
      const serial = s <= 3 ? s : this.int(1, 60);
      const nik = `${stem}${String(serial).padStart(4, '0')}`;
      if (!this.usedNik.has(nik)) {
        this.usedNik.add(nik);
        return nik;
      }
    }
    throw new Error('NIK space exhausted');
  }

  private makeKk(kecamatan: string, year: number): string {
    for (;;) {
      const recYear = this.int(Math.max(2004, year), 2025);
      const kk = `${kecamatan}${pad2(this.int(1, 28))}${pad2(this.int(1, 12))}${pad2(recYear % 100)}${String(this.int(1, 9999)).padStart(4, '0')}`;
      if (!this.usedKk.has(kk)) {
        this.usedKk.add(kk);
        return kk;
      }
    }
  }

  private nikRegion(culture: Culture, village: Village, birthYear: number): string {
    if (birthYear < 1990 && (culture === 'jawa' || culture === 'sunda' || culture === 'bali') && this.chance(0.25)) {
      return this.pick(OUTSIDE_REGIONS);
    }
    if (birthYear < 2008 && this.chance(0.3)) return `1805${village.kecamatan.slice(4)}`;
    return this.chance(0.85) ? village.kecamatan : this.pick(this.villages).kecamatan;
  }

  private birthPlace(culture: Culture, y: number, village: Village): string {
    if (y < 1985 && culture !== 'lampung' && this.chance(0.6)) {
      return this.pick(culture === 'sunda' ? SUNDA_PLACES : culture === 'bali' ? BALI_PLACES : JAVA_PLACES);
    }
    return this.chance(0.5) ? village.name : this.pick(LAMPUNG_PLACES);
  }

  private person(culture: Culture, sex: 'M' | 'F', birth: Person['birth'], village: Village, kkLevel: number, order: number, name?: string): Person {
    const religionId = culture === 'bali' ? 4 : this.chance(0.93) ? 1 : this.pick([2, 3, 2, 5]);
    const age = 2026 - birth.y;
    return {
      truthId: `P${++this.seq}`,
      sex,
      fullName: name ?? this.givenName(culture, sex, birth.y, order),
      birth,
      culture,
      nik: this.makeNik(this.nikRegion(culture, village, birth.y), birth, sex),
      birthPlace: this.birthPlace(culture, birth.y, village),
      motherName: null,
      fatherName: null,
      religionId,
      occupation: age < 6 ? 'BELUM/TIDAK BEKERJA' : age < 22 ? 'PELAJAR/MAHASISWA' : sex === 'F' && this.chance(0.5) ? 'MENGURUS RUMAH TANGGA' : this.pick(OCCUPATIONS),
      kkLevel,
    };
  }

  /** One household: head, usually a wife, children (twins now and then, a son named after his father), sometimes a grandparent. */
  household(): void {
    const village = this.pick(this.villages);
    const culture = this.culture();
    const headYear = this.int(1940, 2001);
    const members: Person[] = [];
    const headSex: 'M' | 'F' = this.chance(0.88) ? 'M' : 'F';
    const head = this.person(culture, headSex, this.birthDate(headYear), village, 1, 0);
    head.motherName = this.givenName(culture, 'F', headYear - 25, 0);
    members.push(head);
    let wife: Person | null = null;
    if (headSex === 'M' && this.chance(0.85)) {
      const wCulture = this.chance(0.8) ? culture : this.culture();
      wife = this.person(wCulture, 'F', this.birthDate(Math.min(2003, headYear + this.int(-2, 8))), village, 3, 0);
      wife.motherName = this.givenName(wCulture, 'F', headYear - 20, 0);
      members.push(wife);
    }
    const mother = wife ?? (headSex === 'F' ? head : null);
    const firstChildYear = (mother ? mother.birth.y : headYear) + this.int(19, 27);
    const nChildren = firstChildYear > 2025 ? 0 : this.int(0, headYear < 1975 ? 5 : 3);
    let y = firstChildYear;
    for (let k = 0; k < nChildren && y <= 2025; k++) {
      const sex: 'M' | 'F' = this.chance(0.5) ? 'M' : 'F';
      const birth = this.birthDate(y);
      const namedAfterFather = sex === 'M' && headSex === 'M' && this.chance(0.04);
      const child = this.person(culture, sex, birth, village, 4, k + 1, namedAfterFather ? head.fullName : undefined);
      child.motherName = mother?.fullName ?? this.givenName(culture, 'F', headYear, 0);
      child.fatherName = headSex === 'M' ? head.fullName : null;
      child.birthPlace = this.chance(0.7) ? village.name : child.birthPlace;
      members.push(child);
      if (namedAfterFather) this.forbidden.push({ a: head.truthId, b: child.truthId, kind: 'parent_child' });
      if (this.chance(0.03)) {
        const tSex: 'M' | 'F' = this.chance(0.5) ? sex : sex === 'M' ? 'F' : 'M';
        // Parents give twins two names, not one name and the same with a part added ("Yusmaniar" /
        // "Yusmaniar Wati"): a draw that is the sibling's name, or starts with it, is drawn again.
        let twinName = this.givenName(culture, tSex, y, k + 2);
        for (let tries = 0; tries < 20 && namePrefixOf(twinName, child.fullName); tries++) {
          twinName = this.givenName(culture, tSex, y, k + 2);
        }
        const twin = this.person(culture, tSex, { ...birth }, village, 4, k + 2, twinName);
        twin.motherName = child.motherName;
        twin.fatherName = child.fatherName;
        twin.birthPlace = child.birthPlace;
        members.push(twin);
        this.forbidden.push({ a: child.truthId, b: twin.truthId, kind: 'twins' });
      }
      y += this.int(1, 5);
    }
    if (headYear > 1965 && this.chance(0.08)) {
      const gp = this.person(culture, 'F', this.birthDate(headYear - this.int(20, 30)), village, 7, 0, head.motherName ?? undefined);
      members.push(gp);
    }
    const kk = this.makeKk(village.kecamatan, Math.min(...members.map((p) => p.birth.y)));
    const dusun = `Dusun ${this.pick(['I', 'II', 'III', 'IV', 'V', 'Suka Maju', 'Sido Mulyo', 'Karang Anyar', 'Tanjung'])}`;
    const rt = pad2(this.int(1, 12)).padStart(3, '0');
    const rw = pad2(this.int(1, 5)).padStart(3, '0');
    for (const p of members) {
      // A child under 17 often has no NIK in the village register yet, or OpenSID's temporary one.
      const age = 2026 - p.birth.y;
      const noNik = this.chance(age < 17 ? 0.12 : 0.04);
      const res = this.resident(p, village, kk, dusun, rt, rw, noNik ? this.tempNik(village.code) : p.nik);
      this.residents.push(res);
      this.records.push(this.toRecord(res, false));
      if (this.chance(this.dupRate)) this.duplicates(p, res);
    }
  }

  private tempNik(villageCode: string): string | null {
    if (this.chance(0.4)) return this.chance(0.5) ? '0' : null;
    const n = (this.tempSeq.get(villageCode) ?? 0) + 1;
    this.tempSeq.set(villageCode, n);
    return `0${villageCode}${String(n).padStart(5, '0')}`;
  }

  private resident(p: Person, village: Village, kk: string, dusun: string, rt: string, rw: string, nik: string | null): Resident {
    const rid = (this.residentSeq.get(village.code) ?? 0) + 1;
    this.residentSeq.set(village.code, rid);
    return {
      truthId: p.truthId,
      residentId: rid,
      villageCode: village.code,
      nik,
      kk,
      kkLevel: p.kkLevel,
      fullName: p.fullName,
      sex: p.sex,
      birthDate: ymd(p.birth),
      birthPlace: p.birthPlace,
      motherName: p.motherName,
      fatherName: p.fatherName,
      address: `${dusun} RT ${rt} RW ${rw}`,
      dusun,
      rt,
      rw,
      religionId: p.religionId,
      religion: RELIGIONS[p.religionId - 1] ?? 'ISLAM',
      occupation: p.occupation,
      status: 1,
    };
  }

  private toRecord(res: Resident, dup: boolean): SyntheticRecord {
    const rec: SyntheticRecord = {
      id: `${res.villageCode}-${res.residentId}`,
      truthId: res.truthId,
      residentId: res.residentId,
      kkLevel: res.kkLevel,
      dusun: res.dusun,
      rt: res.rt,
      rw: res.rw,
      status: res.status,
      fullName: res.fullName,
      nik: res.nik,
      kk: res.kk,
      sex: res.sex,
      birthDate: res.birthDate,
      birthPlace: res.birthPlace,
      motherName: res.motherName,
      address: res.address,
      villageCode: res.villageCode,
      religion: res.religion,
      occupation: res.occupation,
    };
    // Registers also carry gaps in first records, fewer than in copies.
    const n = dup ? this.noise : this.noise * 0.3;
    if (this.chance(0.35 * n)) rec.motherName = null;
    if (this.chance(0.05 * n)) rec.sex = null;
    if (this.chance(0.25 * n)) rec.birthPlace = null;
    if (this.chance(0.1 * n)) rec.occupation = null;
    if (this.chance(0.03 * n)) rec.birthDate = null;
    return rec;
  }

  /** The same person registered again: moved to another tiyuh, re-entered, or re-synced with errors. */
  private duplicates(p: Person, res: Resident): void {
    const copies = this.chance(0.15) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const moved = this.chance(0.55);
      const village = moved ? this.pick(this.villages) : this.villages.find((v) => v.code === res.villageCode) ?? this.pick(this.villages);
      const kk = moved || this.chance(0.15) ? this.makeKk(village.kecamatan, p.birth.y + 17) : res.kk;
      const dusun = moved ? `Dusun ${this.pick(['I', 'II', 'III', 'IV', 'Sinar Harapan', 'Mekar Sari'])}` : res.dusun;
      const rt = moved ? pad2(this.int(1, 12)).padStart(3, '0') : res.rt;
      const rw = moved ? pad2(this.int(1, 5)).padStart(3, '0') : res.rw;
      const dupRes = this.resident(p, village, kk, dusun, rt, rw, p.nik);
      dupRes.status = moved ? 1 : res.status;
      dupRes.motherName = p.motherName;
      this.residents.push(dupRes);
      const rec = this.toRecord(dupRes, true);
      this.corrupt(rec, p, village.code);
      this.records.push(rec);
    }
  }

  private corrupt(rec: SyntheticRecord, p: Person, villageCode: string): void {
    const n = this.noise;
    rec.fullName = this.nameVariant(rec.fullName, n);
    if (rec.motherName && this.chance(0.3 * n)) rec.motherName = this.nameVariant(rec.motherName, n);
    // NIK: missing, temporary, a digit mistyped, two digits exchanged.
    const x = this.r();
    if (x < 0.12 * n) rec.nik = this.tempNik(villageCode);
    else if (x < 0.16 * n && rec.nik) rec.nik = this.typoDigit(rec.nik);
    else if (x < 0.18 * n && rec.nik) rec.nik = this.transposeDigits(rec.nik);
    const d = this.r();
    if (rec.birthDate) {
      const b = p.birth;
      if (d < 0.03 * n && b.d <= 12 && b.d !== b.m) rec.birthDate = ymd({ y: b.y, m: b.d, d: b.m });
      else if (d < 0.06 * n) {
        // Only 29 February has to move when the year changes.
        rec.birthDate = ymd({ y: b.y + (this.chance(0.5) ? 1 : -1), m: b.m, d: b.m === 2 && b.d === 29 ? 28 : b.d });
      }
      else if (d < 0.08 * n) rec.birthDate = ymd({ y: b.y, m: 1, d: 1 });
      else if (d < 0.1 * n) rec.birthDate = ymd({ y: b.y, m: b.m, d: b.d <= 20 ? b.d + this.int(1, 8) : b.d - this.int(1, 9) });
    }
    if (this.chance(0.2 * n) && rec.birthPlace) rec.birthPlace = rec.birthPlace.toUpperCase();
    if (this.chance(0.05 * n)) rec.religion = rec.religion === 'ISLAM' ? 'Islam' : rec.religion;
  }

  private typoDigit(nik: string): string {
    const i = this.int(0, 15);
    const cur = Number(nik[i]);
    const next = (cur + this.int(1, 9)) % 10;
    return nik.slice(0, i) + String(next) + nik.slice(i + 1);
  }

  private transposeDigits(nik: string): string {
    for (let tries = 0; tries < 5; tries++) {
      const i = this.int(0, 14);
      if (nik[i] !== nik[i + 1]) return nik.slice(0, i) + (nik[i + 1] ?? '') + (nik[i] ?? '') + nik.slice(i + 2);
    }
    return nik;
  }

  /** Writes a name the way another clerk would. */
  nameVariant(name: string, n: number): string {
    let s = name;
    const ops = this.int(0, n > 1 ? 3 : 2);
    for (let k = 0; k < ops; k++) {
      const x = this.r();
      if (x < 0.22) s = s.toUpperCase();
      else if (x < 0.32) s = s.replace(/^(Muhammad|Mohammad)\b/i, () => this.pick(['M.', 'Moh.', 'Mochammad', 'Muhamad', 'Mohamad', 'Muh.', 'Mhd.', 'MUHAMMAD']));
      else if (x < 0.37) s = s.replace(/^Siti\b/i, 'St.').replace(/^Abdul\b/i, 'Abd.');
      else if (x < 0.44) s = this.oldSpelling(s);
      else if (x < 0.52) s = this.title(s);
      else if (x < 0.58) s = this.joinSplit(s);
      else if (x < 0.64) s = this.dropPart(s);
      else if (x < 0.72) s = this.spellingVariant(s);
      else if (x < 0.86) s = this.typo(s);
      // Clerks double a consonant inside a name (Muhamad/Muhammad, Hasanah/Hassanah), not its first letter.
      else if (x < 0.92) s = s.replace(/(?<=[a-z])([lmnrstdk])(?=[aiueo])/i, (m) => (this.chance(0.5) ? m + m : m));
      else s = s.replace(/\s+/g, '  ').replace(/\.$/, '');
    }
    return s;
  }

  private oldSpelling(s: string): string {
    return s
      .replace(/u(?=[a-z])/, 'oe')
      .replace(/J(?=[aiueo])/, 'Dj')
      .replace(/c(?=[aiueo])/i, 'tj')
      .replace(/ahm/i, 'achm')
      .replace(/sy/i, 'sj')
      .replace(/kh/i, 'ch');
  }

  /**
   * One name written another accepted way: f/p, kh/h, iya/ia, z/s, a/o in Arabic names, a final
   * i/y; Balinese I/Ni left out or a part abbreviated.
   */
  private spellingVariant(s: string): string {
    const variants: Array<[RegExp, string]> = [
      [/^(I|Ni) (?=\S+ )/i, ''],
      [/\bWayan\b/i, 'Wyn'],
      [/\bMade\b/i, 'Md.'],
      [/\bNyoman\b/i, 'Nym'],
      [/\bKetut\b/i, 'Kt.'],
      [/f/i, 'p'],
      [/kh/i, 'h'],
      [/iya/i, 'ia'],
      [/(?<=[a-z])ia(?=[a-z])/i, 'iya'],
      [/(?<=[a-z])z/i, 's'],
      [/^Z/, 'J'],
      [/(?<=^(R|M|S|Kh|Ch))a(?=[hs])/i, 'o'],
      [/(?<=[kr])i\b/i, 'y'],
    ];
    const applicable = variants.filter(([re]) => re.test(s));
    if (applicable.length === 0) return s;
    const [re, to] = this.pick(applicable);
    const out = s.replace(re, to);
    return s === s.toUpperCase() ? out.toUpperCase() : out;
  }

  private title(s: string): string {
    const x = this.r();
    if (x < 0.4) return `${this.pick(['H.', 'Hj.', 'Drs.', 'Dra.', 'Ir.', 'dr.'])} ${s}`;
    const degree = () => this.pick(['S.Pd', 'S.Pd.I', 'S.E.', 'S.H.', 'A.Md', 'S.Kom', 'M.Pd', 'S.Ag', 'S.Sos', 'S.IP', 'A.Md.Keb', 'S.Kep., Ns.', 'S.Tr.Kes']);
    // Teachers and officials often carry two: "Siti Aminah, S.Pd., M.Pd".
    return this.chance(0.25) ? `${s}, ${degree()}., ${degree()}` : `${s}, ${degree()}`;
  }

  private joinSplit(s: string): string {
    const parts = s.split(' ');
    // Common first parts are written joined to the next (Nurhayati, Sriwahyuni); other parts only
    // when a space is forgotten.
    const prefixed = /^(Nur|Nurul|Sri|Siti|Abdul|Dwi|Tri|Eka|Muhammad|I|Ni) \S/i.test(s);
    if (parts.length >= 2 && this.chance(prefixed ? 0.7 : 0.25)) {
      const i = prefixed ? 0 : this.int(0, parts.length - 2);
      return [...parts.slice(0, i), (parts[i] ?? '') + (parts[i + 1] ?? '').toLowerCase(), ...parts.slice(i + 2)].join(' ');
    }
    const m = /^(Nur|Sri|Siti|Abdul|Dwi|Tri)([a-z]{3,})/i.exec(s);
    if (m) return `${m[1]} ${(m[2] ?? '').charAt(0).toUpperCase()}${(m[2] ?? '').slice(1)}${s.slice(m[0].length)}`;
    return s;
  }

  private dropPart(s: string): string {
    const parts = s.split(' ');
    if (parts.length < 2) return s;
    if (this.chance(0.5)) {
      const i = parts.length - 1;
      return [...parts.slice(0, i), `${(parts[i] ?? '').charAt(0)}.`].join(' ');
    }
    return parts.slice(0, -1).join(' ') || s;
  }

  private typo(s: string): string {
    const letters = [...s];
    const idx: number[] = [];
    letters.forEach((ch, i) => {
      if (/[a-z]/i.test(ch) && i > 0) idx.push(i);
    });
    if (idx.length === 0) return s;
    const i = this.pick(idx);
    const x = this.r();
    if (x < 0.35) letters[i] = this.pick([...'aiueonmrstkl']);
    else if (x < 0.65) letters.splice(i, 1);
    else if (i + 1 < letters.length) {
      const t = letters[i] as string;
      letters[i] = letters[i + 1] as string;
      letters[i + 1] = t;
    }
    return letters.join('');
  }
}

/** Generates a population until `records` records exist; same options, same output. */
export function generatePopulation(options: PopulationOptions): Population {
  const g = new PopulationBuilder(options.seed ?? 1812, options.duplicateRate ?? 0.15, options.noise ?? 1);
  while (g.records.length < options.records) g.household();
  g.records.length = options.records;
  // Registers are not sorted by person: shuffle deterministically so copies arrive far apart.
  const r = rngFor((options.seed ?? 1812) ^ 0x5bd1e995);
  const recs = g.records;
  for (let i = recs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = recs[i] as SyntheticRecord;
    recs[i] = recs[j] as SyntheticRecord;
    recs[j] = t;
  }
  return { records: recs, residents: g.residents, forbidden: g.forbidden };
}

/** Yields the records of a generated population, each a PersonRecord with its truthId. */
export function* syntheticRecords(options: PopulationOptions): Generator<SyntheticRecord> {
  yield* generatePopulation(options).records;
}

/** Whether one name is the other or the other's first parts. */
function namePrefixOf(a: string, b: string): boolean {
  const x = a.split(' ');
  const y = b.split(' ');
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return false;
  return true;
}
