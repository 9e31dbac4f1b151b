#!/usr/bin/env node
// `npm run build` (and `prepare`, at `npm ci`): compiles src/ to dist/ and records when the build began,
// so bin/tiyuh-hub.js can tell whether a source file changed since.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // An install without dev dependencies (a production image copies dist/ from its build stage).
  console.error('build: typescript is not installed; the CLI runs from dist/ if present, else through tsx');
  process.exit(0);
}
const began = Date.now();
rmSync(path.join(root, 'dist/.built-at'), { force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
mkdirSync(path.join(root, 'dist'), { recursive: true });
// The console's templates and static files sit beside its compiled code, as they do beside the sources.
for (const dir of ['views', 'static']) cpSync(path.join(root, 'src/console', dir), path.join(root, 'dist/console', dir), { recursive: true });
writeFileSync(path.join(root, 'dist/.built-at'), String(began));
