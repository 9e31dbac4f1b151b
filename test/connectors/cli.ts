import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestHub } from '../helpers/hub.js';
import { TEST_REDIS_URL } from '../helpers/hub.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/tiyuh-hub.js');

/** Runs the real CLI against a test hub's database and Redis prefix. */
export function runCli(th: TestHub, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {
      env: { ...process.env, DATABASE_URL: th.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: th.prefix, LOG_LEVEL: 'warn' },
      timeout: 120_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}
