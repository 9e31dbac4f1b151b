import { request } from 'node:http';
import { userInfo } from 'node:os';
import type { Env } from '../../config/env.js';
import { OperationError } from '../operations/operation.js';
import { RUN_APART, type InputOf, type OperationName, type OutputOf } from '../operations/registry.js';
import { databaseIdentity, readControlFile, type ControlFile } from './controlFile.js';
import type { ControlLine } from './endpoint.js';

export interface InvokeOptions {
  onProgress?: (done: number, total: number) => void;
}

export function cliActor(): string {
  let user = process.env.USER;
  try {
    user ||= userInfo().username;
  } catch {
    user ||= 'operator';
  }
  return `cli:${user}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The hub that runs on this data directory and database, as its hub.json tells (it may have died since). */
export function runningHub(env: Env): ControlFile | null {
  const control = readControlFile(env.dataDir);
  return control && alive(control.pid) && control.database === databaseIdentity(env.databaseUrl, env.dataDir) ? control : null;
}

const UNREACHABLE = Symbol('unreachable');

/** Runs the operation in the hub of `control`; UNREACHABLE when nothing listens there (a hub that died without cleaning up). */
function callHub(control: ControlFile, name: string, input: unknown, opts: InvokeOptions): Promise<unknown> {
  const body = JSON.stringify({ input, actor: cliActor() });
  return new Promise((resolve, reject) => {
    const req = request(new URL(`/admin/cli/${name}`, control.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${control.secret}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.setEncoding('utf8');
      let buffered = '';
      let settled = false;
      const handle = (line: string) => {
        if (!line.trim() || settled) return;
        if (res.statusCode !== 200) {
          const problem = JSON.parse(line) as { code: string; message: { id: string; en: string } };
          settled = true;
          reject(new OperationError(problem.code, problem.message, 2));
          return;
        }
        const msg = JSON.parse(line) as ControlLine;
        if ('progress' in msg) opts.onProgress?.(...msg.progress);
        else if ('result' in msg) { settled = true; resolve(msg.result); }
        else { settled = true; reject(new OperationError(msg.error.code, msg.error.message, msg.error.exitCode)); }
      };
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          handle(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      });
      res.on('end', () => {
        handle(buffered);
        if (!settled) reject(new OperationError('CONTROL_ANSWER_CUT', { id: 'Hub berhenti sebelum menjawab.', en: 'The hub stopped before it answered.' }));
      });
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? resolve(UNREACHABLE) : reject(err)));
    req.end(body);
  });
}

/**
 * Runs a CLI operation where it is safe: in the hub that runs on this data directory and database
 * when there is one (its hub.json names it), otherwise in this process (also a RUN_APART operation on a
 * database server).
 */
export async function invoke<N extends OperationName>(env: Env, name: N, input: InputOf<N>, opts: InvokeOptions = {}): Promise<OutputOf<N>> {
  const control = env.databaseUrl && RUN_APART.has(name) ? null : runningHub(env);
  if (control) {
    const answer = await callHub(control, name, input, opts);
    if (answer !== UNREACHABLE) return answer as OutputOf<N>;
  }
  const { runLocally } = await import('./local.js');
  return runLocally(env, name, input, opts);
}
