/**
 * Charts as server-rendered SVG (no script, no build step, allowed by the console's CSP): presentation
 * attributes only. Each chart has a title and a description for screen readers; the same figures are
 * in the table beside it.
 */
import type { Count } from '../../stats/queries.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (c: Count) => (typeof c === 'number' ? c : 0);
const label = (c: Count) => (typeof c === 'number' ? new Intl.NumberFormat('id-ID').format(c) : c);

const MALE = '#1f5f99';
const FEMALE = '#b3325b';
const INK = '#1d2733';

/** Men to the left, women to the right, youngest at the bottom. */
export function pyramidSvg(groups: { ageGroup: string; male: Count; female: Count }[], id: string, caption: string): string {
  const rowH = 18;
  const mid = 300;
  const half = 230;
  const top = 28;
  const h = top + groups.length * rowH + 10;
  const max = Math.max(1, ...groups.flatMap((g) => [num(g.male), num(g.female)]));
  const bars = [...groups].reverse().map((g, i) => {
    const y = top + i * rowH;
    const m = (num(g.male) / max) * half;
    const f = (num(g.female) / max) * half;
    return `<g><text x="${mid}" y="${y + 13}" text-anchor="middle" font-size="11" fill="${INK}">${esc(g.ageGroup)}</text>`
      + `<rect x="${mid - 24 - m}" y="${y + 2}" width="${m.toFixed(1)}" height="${rowH - 4}" fill="${MALE}"><title>Laki-laki ${esc(g.ageGroup)}: ${label(g.male)}</title></rect>`
      + `<rect x="${mid + 24}" y="${y + 2}" width="${f.toFixed(1)}" height="${rowH - 4}" fill="${FEMALE}"><title>Perempuan ${esc(g.ageGroup)}: ${label(g.female)}</title></rect>`
      + `<text x="${mid - 28 - m}" y="${y + 13}" text-anchor="end" font-size="10" fill="${INK}">${label(g.male)}</text>`
      + `<text x="${mid + 28 + f}" y="${y + 13}" font-size="10" fill="${INK}">${label(g.female)}</text></g>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 ${h}" width="100%" role="img" aria-labelledby="${id}-t ${id}-d">`
    + `<title id="${id}-t">${esc(caption)}</title><desc id="${id}-d">Batang kiri laki-laki, kanan perempuan, per kelompok umur lima tahun; angka lengkap ada pada tabel.</desc>`
    + `<text x="${mid - 30}" y="16" text-anchor="end" font-size="12" font-weight="bold" fill="${MALE}">Laki-laki</text>`
    + `<text x="${mid + 30}" y="16" font-size="12" font-weight="bold" fill="${FEMALE}">Perempuan</text>${bars}</svg>`;
}

/** Horizontal bars, one per row (e.g. registrations per week). */
export function barsSvg(items: { label: string; value: number }[], id: string, caption: string, color = MALE): string {
  const rowH = 20;
  const left = 150;
  const width = 400;
  const h = items.length * rowH + 8;
  const max = Math.max(1, ...items.map((i) => i.value));
  const bars = items.map((it, i) => {
    const y = 4 + i * rowH;
    const w = (it.value / max) * width;
    return `<text x="${left - 6}" y="${y + 14}" text-anchor="end" font-size="11" fill="${INK}">${esc(it.label)}</text>`
      + `<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${color}"><title>${esc(it.label)}: ${label(it.value)}</title></rect>`
      + `<text x="${left + w + 4}" y="${y + 14}" font-size="10" fill="${INK}">${label(it.value)}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 ${h}" width="100%" role="img" aria-labelledby="${id}-t ${id}-d">`
    + `<title id="${id}-t">${esc(caption)}</title><desc id="${id}-d">Angka lengkap ada pada tabel.</desc>${bars}</svg>`;
}
