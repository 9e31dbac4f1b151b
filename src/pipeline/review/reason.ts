/** Staff must say why they decided (3–500 characters after trimming); the audit log keeps it. */
export type ReasonCheck =
  | { ok: true; reason: string }
  | { ok: false; code: 'REASON_REQUIRED' | 'REASON_TOO_LONG'; message: { id: string; en: string } };

export function checkReason(raw: unknown): ReasonCheck {
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (reason.length < 3) return { ok: false, code: 'REASON_REQUIRED', message: { id: 'Alasan keputusan wajib diisi (3–500 karakter).', en: 'A reason is required (3–500 characters).' } };
  if (reason.length > 500) return { ok: false, code: 'REASON_TOO_LONG', message: { id: 'Alasan paling panjang 500 karakter.', en: 'The reason may be at most 500 characters.' } };
  return { ok: true, reason };
}
