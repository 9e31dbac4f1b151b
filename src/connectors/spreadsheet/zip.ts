import { inflateRawSync } from 'node:zlib';
import { Unzip, UnzipPassThrough, type AsyncFlateStreamHandler } from 'fflate';
import { refuse, FileRefusal } from './refusal.js';

export interface ZipLimits {
  /** Most entries (files and folders) the archive may hold. */
  maxEntries: number;
  /** Most bytes all inflated entries together may take: declared sizes are checked, and inflation stops past it. */
  maxTotalBytes: number;
}

/** Entries whose content is wanted; the others are counted and size-checked but never inflated. */
export type EntryFilter = (name: string) => boolean;

const LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ARCHIVE = [0x50, 0x4b, 0x05, 0x06];

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

export function isZip(bytes: Uint8Array): boolean {
  return startsWith(bytes, LOCAL_HEADER) || startsWith(bytes, EMPTY_ARCHIVE);
}

/** `../x`, `/etc/x`, `C:\x` or a backslash path would escape an extraction folder: such an archive is hostile. */
function unsafeName(name: string): boolean {
  return name.includes('\\') || name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.split('/').includes('..') || name.includes('\0');
}

const PUSH_BYTES = 16 * 1024;

class BudgetExceeded extends Error {}

/**
 * Hands a deflated entry's bytes on as they are: they are inflated whole by node's zlib (native, several
 * times faster than fflate's streaming inflate) with an output cap, so inflation stops at the budget.
 */
class DeflatedBytes {
  static compression = 8;
  ondata: AsyncFlateStreamHandler = () => {};
  push(chunk: Uint8Array, final: boolean) { this.ondata(null, chunk as Parameters<AsyncFlateStreamHandler>[1], final); }
}

/**
 * Reads a ZIP held in memory. Refuses archives that are not ZIPs, hold unsafe names, too many entries
 * or more uncompressed bytes than allowed. Declared sizes are checked first; a lying size header cannot
 * help, because zlib's output is capped at what is left of the budget and inflation stops there.
 */
export function readZip(bytes: Uint8Array, limits: ZipLimits, wanted: EntryFilter = () => true): Map<string, Uint8Array> {
  if (!isZip(bytes)) {
    throw refuse('FILE_NOT_ZIP', 'Berkas bukan arsip ZIP.', 'The file is not a ZIP archive.');
  }
  if (!hasEndRecord(bytes)) {
    throw refuse('ZIP_CORRUPT', 'Arsip ZIP rusak atau terpotong (akhir arsip tidak ditemukan).', 'The ZIP archive is damaged or truncated (no end of central directory).');
  }
  const out = new Map<string, Uint8Array>();
  const chunks = new Map<string, Uint8Array[]>();
  let entries = 0;
  let declared = 0;
  let inflated = 0;
  let failure: FileRefusal | null = null;

  const unzip = new Unzip((file) => {
    if (failure) return;
    entries += 1;
    if (entries > limits.maxEntries) {
      failure = refuse('ZIP_TOO_MANY_ENTRIES', `Arsip ZIP berisi lebih dari ${limits.maxEntries} berkas.`, `The ZIP holds more than ${limits.maxEntries} entries.`, 413);
      return;
    }
    if (unsafeName(file.name)) {
      failure = refuse('ZIP_UNSAFE_PATH', `Nama berkas di dalam ZIP tidak aman: "${file.name}".`, `An entry of the ZIP has an unsafe path: "${file.name}".`);
      return;
    }
    declared += file.originalSize ?? 0;
    if (declared > limits.maxTotalBytes) {
      failure = tooBig(limits.maxTotalBytes);
      return;
    }
    if (file.name.endsWith('/') || !wanted(file.name)) return;
    if (file.compression !== 0 && file.compression !== 8) {
      failure = refuse('ZIP_UNSUPPORTED', `Metode kompresi ${file.compression} pada "${file.name}" tidak didukung.`, `Compression method ${file.compression} of "${file.name}" is not supported.`);
      return;
    }
    const parts: Uint8Array[] = [];
    chunks.set(file.name, parts);
    const deflated = file.compression === 8;
    file.ondata = (err, data, final) => {
      if (err) throw err;
      parts.push(data);
      if (!final) return;
      let content = concat(parts);
      if (deflated) {
        try {
          content = inflateRawSync(content, { maxOutputLength: Math.max(1, limits.maxTotalBytes - inflated) });
        } catch (e) {
          if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BudgetExceeded();
          throw e;
        }
      }
      inflated += content.length;
      if (inflated > limits.maxTotalBytes) throw new BudgetExceeded();
      out.set(file.name, content);
    };
    file.start();
  });
  unzip.register(DeflatedBytes);
  unzip.register(UnzipPassThrough);
  try {
    // fflate recurses once per entry within a push: small pushes keep an archive of thousands of photos off the stack limit.
    for (let at = 0; at < bytes.length && !failure; at += PUSH_BYTES) unzip.push(bytes.subarray(at, at + PUSH_BYTES), at + PUSH_BYTES >= bytes.length);
  } catch (err) {
    if (err instanceof BudgetExceeded) throw tooBig(limits.maxTotalBytes);
    if (err instanceof FileRefusal) throw err;
    throw refuse('ZIP_CORRUPT', 'Arsip ZIP rusak atau terpotong.', `The ZIP archive is damaged or truncated (${(err as Error).message}).`);
  }
  if (failure) throw failure;
  for (const name of chunks.keys()) {
    if (!out.has(name)) throw refuse('ZIP_CORRUPT', `Berkas "${name}" di dalam ZIP terpotong.`, `Entry "${name}" of the ZIP is truncated.`);
  }
  return out;
}

/** A complete ZIP ends with its end-of-central-directory record, within the last 64 KiB + 22 bytes. */
function hasEndRecord(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65_557); i--) {
    if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 0x05 && bytes[i + 3] === 0x06) return true;
  }
  return false;
}

function tooBig(max: number): FileRefusal {
  const mb = Math.round(max / 1024 / 1024);
  return refuse('ZIP_TOO_LARGE', `Isi arsip ZIP setelah diekstrak melebihi ${mb} MB.`, `The ZIP's content exceeds ${mb} MB once uncompressed.`, 413);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return all;
}
