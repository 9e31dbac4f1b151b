/** How the console writes dates, numbers, durations and regions for Indonesian readers. */
import type { HubConfig } from '../config/load.js';
import { dottedRegion } from '../config/regionCode.js';

const DATE = new Intl.DateTimeFormat('id-ID', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Asia/Jakarta' });
const TIME = new Intl.DateTimeFormat('id-ID', { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Jakarta' });
const NUMBER = new Intl.NumberFormat('id-ID');

const toDate = (d: Date | string | null | undefined) => (d == null || d === '' ? null : new Date(d));

/** d MMMM yyyy: "4 Desember 2026". */
export function tanggal(d: Date | string | null | undefined): string {
  const x = toDate(d);
  return x && !Number.isNaN(x.getTime()) ? DATE.format(x) : '—';
}

/** "4 Desember 2026 pukul 16.34" (WIB). */
export function tanggalJam(d: Date | string | null | undefined): string {
  const x = toDate(d);
  return x && !Number.isNaN(x.getTime()) ? `${DATE.format(x)} pukul ${TIME.format(x)}` : '—';
}

/** A birth date stored as yyyy-mm-dd, written without a time-zone shift. */
export function tanggalLahir(ymd: string | null | undefined): string {
  if (!ymd) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(ymd);
  return m ? DATE.format(new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, 12))) : ymd;
}

/** Thousands with a dot: 300.000. */
export const angka = (n: number | null | undefined) => (n == null ? '—' : NUMBER.format(n));

/** An age in words: "45 detik", "12 menit", "3 jam", "2 hari". */
export function lama(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} detik`;
  if (s < 3600) return `${Math.floor(s / 60)} menit`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)} jam`;
  return `${NUMBER.format(Math.floor(s / 86400))} hari`;
}

export function wilayah(config: Pick<HubConfig, 'villages' | 'kecamatans'>, code: string | null | undefined): string {
  if (!code) return '—';
  const name = (code.length === 10 ? config.villages.get(code) : config.kecamatans.get(code))?.name;
  return name ? `${name} (${dottedRegion(code)})` : dottedRegion(code);
}

export const JENIS_KELAMIN: Record<string, string> = { M: 'Laki-laki', F: 'Perempuan', L: 'Laki-laki', P: 'Perempuan', '1': 'Laki-laki', '2': 'Perempuan' };
