import { randomInt } from 'node:crypto';
import { hash, verify, Algorithm } from '@node-rs/argon2';

/** argon2id at OWASP's second recommended setting (19 MiB, 2 passes): ~25 ms a login on this machine. */
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, OPTIONS);

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash of nothing anyone knows: an unknown username costs the same time as a known one. */
let decoy: Promise<string> | null = null;
export const decoyHash = () => (decoy ??= hashPassword(`decoy-${randomInt(1e9)}`));

// No 0/O, 1/l/I: read aloud over the phone or copied from paper.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A one-time password: 14 characters from 56 (~81 bits), in groups so a person can type it. */
export function oneTimePassword(): string {
  const chars = Array.from({ length: 14 }, () => ALPHABET[randomInt(ALPHABET.length)]!);
  return [chars.slice(0, 5), chars.slice(5, 10), chars.slice(10)].map((g) => g.join('')).join('-');
}

/** Why a new password is refused, in Indonesian; null when it may be used. */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < 10) return 'Kata sandi baru paling sedikit 10 karakter.';
  if (password.length > 200) return 'Kata sandi baru paling banyak 200 karakter.';
  if (password.toLowerCase().includes(username.toLowerCase())) return 'Kata sandi baru tidak boleh memuat nama pengguna.';
  if (new Set(password).size < 5) return 'Kata sandi baru terlalu mudah ditebak (terlalu sedikit karakter berbeda).';
  return null;
}
