import { requestJson, pathValue } from './http.js';
import { SyncError, type SourceRow } from './types.js';

/**
 * Bearer tokens per source, in memory only (never in Redis or logs). A 401 on data means the token
 * expired or a newer login replaced it (Gabungan deletes a user's older tokens on login): log in once
 * more and repeat the request. A refused login is not retried.
 */
const tokens = new Map<string, string>();

export interface LoginSpec { url: string; body: Record<string, unknown>; tokenPath: string; timeoutMs: number }

async function login(source: SourceRow, spec: LoginSpec): Promise<string> {
  const res = await requestJson(spec.url, { method: 'POST', body: spec.body, timeoutMs: spec.timeoutMs });
  const token = pathValue(res.body, spec.tokenPath);
  if (res.status >= 400 || typeof token !== 'string' || !token) {
    throw new SyncError('LOGIN_REJECTED', `login refused (HTTP ${res.status}); check the source's credentials`, false);
  }
  tokens.set(source.id, token);
  return token;
}

export async function authorizedGet(source: SourceRow, url: string, spec: LoginSpec): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    const token = tokens.get(source.id) ?? (await login(source, spec));
    const res = await requestJson(url, { headers: { authorization: `Bearer ${token}` }, timeoutMs: spec.timeoutMs });
    if (res.status === 401 && attempt === 0) { tokens.delete(source.id); continue; }
    if (res.status === 401) throw new SyncError('UNAUTHORIZED', 'a fresh token was refused', false);
    if (res.status === 404) throw new SyncError('NOT_FOUND', `HTTP 404 for ${new URL(url).pathname}`, false);
    if (res.status >= 400) throw new SyncError('HTTP_ERROR', `HTTP ${res.status}`, false);
    return res.body;
  }
}

export async function checkLogin(source: SourceRow, spec: LoginSpec): Promise<void> {
  tokens.delete(source.id);
  await login(source, spec);
}
