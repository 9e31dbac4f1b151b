/**
 * Kemendagri region codes. The hub stores the plain digit form (village: 10 digits) and accepts the
 * dotted form OpenSID/OpenDK send ("18.12.01.2002").
 */
const DOTTED = /^(\d{2})(?:\.(\d{2})(?:\.(\d{2})(?:\.(\d{4}))?)?)?$/;
const PLAIN = /^(\d{2})(\d{2})?(\d{2})?(\d{4})?$/;

/** Returns the digit form of a region code written either way, or null when it is not one. */
export function regionDigits(code: string): string | null {
  const s = code.trim();
  const m = DOTTED.exec(s) ?? PLAIN.exec(s);
  if (!m) return null;
  return m.slice(1).filter(Boolean).join('');
}

export function dottedRegion(digits: string): string {
  const parts = [digits.slice(0, 2), digits.slice(2, 4), digits.slice(4, 6), digits.slice(6, 10)].filter(Boolean);
  return parts.join('.');
}

/** The kecamatan (6 digits) of a village code (10 digits). */
export function kecamatanOf(villageDigits: string): string {
  return villageDigits.slice(0, 6);
}
