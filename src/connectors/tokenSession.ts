import { createHash } from 'node:crypto';
import { requestJson, pathValue } from './http.js';
import type { SessionStore } from './sessions.js';
import { SyncError } from './types.js';

export interface LoginSpec { url: string; body: Record<string, unknown>; tokenPath: string; timeoutMs: number }

/**
 * Sources that log in at the same URL with the same credentials share one token. A hash, so the key
 * shows no credential; the password is part of it, so a source with a wrong password never borrows
 * the token of one with the right one.
 */
const accountOf = (spec: LoginSpec) => createHash('sha256').update(JSON.stringify([spec.url, spec.body])).digest('hex');

async function login(spec: LoginSpec): Promise<string> {
  const res = await requestJson(spec.url, { method: 'POST', body: spec.body, timeoutMs: spec.timeoutMs });
  const token = pathValue(res.body, spec.tokenPath);
  if (res.status >= 400 || typeof token !== 'string' || !token) {
    throw new SyncError('LOGIN_REJECTED', `login refused (HTTP ${res.status}); check the source's credentials`, false);
  }
  return token;
}

/**
 * GET with the account's bearer token (never in Redis or logs). A 401 means the token expired or a
 * newer login replaced it (Gabungan deletes a user's older tokens on login): take the token another
 * process got meanwhile, or log in once more, and repeat the request. A refused login is not retried.
 */
export async function authorizedGet(url: string, spec: LoginSpec, sessions: SessionStore): Promise<unknown> {
  const account = accountOf(spec);
  let token = await sessions.current(account);
  for (let attempt = 0; ; attempt++) {
    token ??= await sessions.renew(account, null, () => login(spec));
    const res = await requestJson(url, { headers: { authorization: `Bearer ${token}` }, timeoutMs: spec.timeoutMs });
    // Twice: a token shared by many sources may be replaced again by another process in between.
    if (res.status === 401 && attempt < 2) { token = await sessions.renew(account, token, () => login(spec)); continue; }
    if (res.status === 401) throw new SyncError('UNAUTHORIZED', 'a fresh token was refused', false);
    if (res.status === 404) throw new SyncError('NOT_FOUND', `HTTP 404 for ${new URL(url).pathname}`, false);
    if (res.status >= 400) throw new SyncError('HTTP_ERROR', `HTTP ${res.status}`, false);
    return res.body;
  }
}

/** Logs in with the source's credentials now (a check), and shares the new token. */
export async function checkLogin(spec: LoginSpec, sessions: SessionStore): Promise<void> {
  await sessions.renew(accountOf(spec), null, () => login(spec), true);
}
