/** Ten tiyuh of different kecamatan, each with its own simulated OpenSID API, for the demo. */
export const DEMO_TIYUH = [
  '1812012002', '1812022002', '1812032001', '1812042002', '1812052001',
  '1812062001', '1812072001', '1812082001', '1812092001', '1812012003',
];

/**
 * The simulated tiyuh's letter types (as the OpenSID listing names them) and the MPP services their
 * requests become. "Keterangan Jual Beli" is left unmapped: its requests wait in quarantine.
 */
export const DEMO_LETTER_SERVICES = {
  'Pengantar Surat Keterangan Catatan Kepolisian': 'PENGANTAR_SKCK',
  'Keterangan KTP dalam Proses': 'KTP_EL_BARU',
  'Keterangan Kurang Mampu': 'REKOMENDASI_PBI_JK',
  'Keterangan Belum Pernah Menikah': 'SK_BELUM_MENIKAH',
};

/**
 * Entries for config/sources.json pointing at a simulator: the Database Gabungan for the residents, and
 * ten tiyuh's OpenSID APIs for their letter requests (whose applicants are those residents), syncing
 * every minute, staggered.
 */
export function demoSources(simulatorUrl: string, villages: string[] = DEMO_TIYUH, regions?: Map<string, { name: string; level: string }>) {
  const gabungan = {
    id: 'gabungan-tubaba',
    name: 'Database Gabungan Tubaba (OpenSID simulasi)',
    connector: 'opensid-gabungan',
    enabled: true,
    schedule: '30 * * * * *',
    settings: { baseUrl: simulatorUrl, email: 'operator@tubaba.test', password: 'rahasia-simulasi', pageSize: 500, minPageIntervalMs: 200 },
  };
  return [gabungan, ...villages.map((v, i) => ({
    id: `tiyuh-${v}`,
    ...(regions?.get(v) ? { name: `${regions.get(v)!.level === 'kelurahan' ? 'Kelurahan' : 'Tiyuh'} ${regions.get(v)!.name} (OpenSID simulasi)` } : {}),
    villageCode: v,
    connector: 'opensid-api',
    enabled: true,
    schedule: `${(i * 6) % 60} * * * * *`,
    settings: { baseUrl: `${simulatorUrl}/desa/${v}`, username: 'operator@tubaba.test', password: 'rahasia-simulasi', pageSize: 100, minPageIntervalMs: 200,
      letterServices: DEMO_LETTER_SERVICES },
  }))];
}
