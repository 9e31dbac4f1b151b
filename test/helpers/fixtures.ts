/** Synthetic applicants: internally consistent (NIK agrees with birth date and sex), never real people. */
const GIVEN = ['Siti', 'Agus', 'Dewi', 'Joko', 'Ratna', 'Bambang', 'Sri', 'Hendra', 'Nur', 'Wayan', 'Made', 'Rohmat', 'Yuliani', 'Slamet'];
const FAMILY = ['Rahayu', 'Santoso', 'Lestari', 'Wijaya', 'Hidayat', 'Susanti', 'Saputra', 'Purnomo', 'Handayani', 'Kurniawan'];

export interface TestApplicant {
  nik: string; kk: string; fullName: string; sex: 'M' | 'F'; birthDate: string; birthPlace: string;
  motherName: string; address: string; rt: string; rw: string; dusun: string; phone: string; villageCode?: string;
}

export function makeNik(region6: string, birthDate: string, sex: 'M' | 'F', serial: number): string {
  const [y, m, d] = birthDate.split('-');
  const day = Number(d) + (sex === 'F' ? 40 : 0);
  return `${region6}${String(day).padStart(2, '0')}${m}${y!.slice(2)}${String(serial % 10000 || 1).padStart(4, '0')}`;
}

export function applicant(i: number, overrides: Partial<TestApplicant> = {}): TestApplicant {
  const sex: 'M' | 'F' = i % 2 === 0 ? 'F' : 'M';
  const year = 1950 + (i % 60);
  const month = String((i % 12) + 1).padStart(2, '0');
  const day = String((i % 28) + 1).padStart(2, '0');
  const birthDate = `${year}-${month}-${day}`;
  return {
    nik: makeNik('181201', birthDate, sex, 1 + Math.floor(i / 7)),
    kk: `1812010${String(1 + (i % 9))}0515${String(1000 + (i % 9000)).padStart(4, '0')}`,
    fullName: `${GIVEN[i % GIVEN.length]} ${FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]} ${i}`,
    sex,
    birthDate,
    birthPlace: 'Panaragan',
    motherName: `${GIVEN[(i + 3) % GIVEN.length]} ${FAMILY[(i + 1) % FAMILY.length]}`,
    address: `Jl. Jend. Sudirman No. ${i % 200}`,
    rt: '001', rw: '002', dusun: 'Dusun 1', phone: '081234567890',
    ...overrides,
  };
}

export const PANARAGAN = '1812012002';
/** Tiyuh Mulya Jaya exists in two kecamatan: 18.12.01.2016 and 18.12.05.2006. */
export const MULYA_JAYA_05 = '1812052006';
