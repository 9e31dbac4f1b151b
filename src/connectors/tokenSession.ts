import { createHash } from 'node:crypto';
import { requestJson, pathValue, serverMessage } from './http.js';
import type { RateLimit } from './requestBudget.js';
import { SyncError, type ConnectorEnv } from './types.js';

export interface LoginSpec {
  url: string;
  body: Record<string, unknown>;
  /** Where the answer holds the bearer token (`access_token`; the OpenSID API: `data.token`). */
  tokenPath: string;
  timeoutMs: number;
  /** The login name: the server counts requests per user, whatever password a source holds. */
  user: string;
  /** The server blocks logins from our address after `attempts` refusals for `windowMs`. */
  lockout: { attempts: number; windowMs: number };
  /** The server's request limit per user. */
  rateLimit: RateLimit;
}

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

/**
 * Sources that log in at the same URL with the same credentials share one token. A hash, so the key
 * shows no credential; the password is part of it, so a source with a wrong password never borrows
 * the token of one with the right one.
 */
const accountOf = (spec: LoginSpec) => hash([spec.url, spec.body]);
/** One request budget per user of a server, whatever password each source holds. */
const userOf = (spec: LoginSpec) => hash([new URL(spec.url).origin, spec.user]);
/** Laravel's login throttles key on our address: every account we hold on the server shares it. */
const serverOf = (spec: LoginSpec) => `server:${hash(new URL(spec.url).origin)}`;

async function login(spec: LoginSpec, env: ConnectorEnv): Promise<string> {
  await env.budget.take(userOf(spec), spec.rateLimit);
  const res = await requestJson(spec.url, { method: 'POST', body: spec.body, timeoutMs: spec.timeoutMs });
  const token = pathValue(res.body, spec.tokenPath);
  if (res.status === 403) {
    throw new SyncError('LOGIN_LOCKED', `the server blocks logins from the hub's address (HTTP 403${serverMessage(res.body) ? `: ${serverMessage(res.body)}` : ''})`, false);
  }
  if (res.status >= 400 || typeof token !== 'string' || !token) {
    throw new SyncError('LOGIN_REJECTED', `login refused (HTTP ${res.status}); check the source's credentials`, false);
  }
  return token;
}

const renewal = (spec: LoginSpec, env: ConnectorEnv) => ({ login: () => login(spec, env), server: serverOf(spec), lockout: spec.lockout });

/**
 * GET with the account's bearer token (never in Redis or logs), within the user's request budget. A 401
 * means the token expired or a newer login replaced it (Gabungan deletes a user's older tokens on
 * login): take the token another process got meanwhile, or log in once more, and repeat the request.
 * A refused login is not retried; a 429 pauses every process using the account for its Retry-After.
 */
export async function authorizedGet(url: string, spec: LoginSpec, env: ConnectorEnv): Promise<unknown> {
  const account = accountOf(spec);
  const user = userOf(spec);
  let token = await env.sessions.current(account);
  for (let attempt = 0; ; attempt++) {
    token ??= await env.sessions.renew(account, null, renewal(spec, env));
    await env.budget.take(user, spec.rateLimit);
    let res;
    try {
      res = await requestJson(url, { headers: { authorization: `Bearer ${token}` }, timeoutMs: spec.timeoutMs });
    } catch (err) {
      if (err instanceof SyncError && err.code === 'RATE_LIMITED') await env.budget.pause(user, err.retryAfterMs ?? spec.rateLimit.windowMs);
      throw err;
    }
    // Twice: a token shared by many sources may be replaced again by another process in between.
    if (res.status === 401 && attempt < 2) { token = await env.sessions.renew(account, token, renewal(spec, env)); continue; }
    if (res.status === 401) throw new SyncError('UNAUTHORIZED', 'a fresh token was refused', false);
    if (res.status === 404) throw new SyncError('NOT_FOUND', `HTTP 404 for ${new URL(url).pathname}`, false);
    if (res.status >= 400) {
      const why = serverMessage(res.body);
      throw new SyncError('HTTP_ERROR', `HTTP ${res.status}${why ? `: ${why}` : ''}`, false);
    }
    return res.body;
  }
}

/** Logs in with the source's credentials now (a check), and shares the new token. */
export async function checkLogin(spec: LoginSpec, env: ConnectorEnv): Promise<void> {
  await env.sessions.renew(accountOf(spec), null, { ...renewal(spec, env), force: true });
}
