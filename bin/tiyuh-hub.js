#!/usr/bin/env node
// Starts from the compiled dist/ (built by `npm ci` through the `prepare` script, or `npm run build`)
// when it is at least as new as every source file; otherwise runs the TypeScript through tsx, so an
// edited checkout still works, only slower to start.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The build's start time, written by bin/build.js after tsc succeeded. */
function builtAt() {
  try {
    return Number(readFileSync(path.join(root, 'dist/.built-at'), 'utf8'));
  } catch {
    return 0;
  }
}

/** A production image has dist/ and no src/: nothing is newer than the build. */
function newestSource(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const built = builtAt();
const fresh = built > 0 && existsSync(path.join(root, 'dist/cli/main.js')) && newestSource(path.join(root, 'src')) <= built;
let main;
if (fresh) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  if (process.stderr.isTTY) process.stderr.write('tiyuh-hub: dist/ is missing or older than src/, running the sources through tsx (slower); `npm run build` compiles.\n');
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
