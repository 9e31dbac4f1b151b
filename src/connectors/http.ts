import { SyncError } from './types.js';

export interface JsonResponse { status: number; body: unknown }

/**
 * One HTTP request with a deadline, answered as parsed JSON. Network errors, timeouts, 5xx and bodies
 * that are not JSON (cut off, an HTML error page) are retryable SyncErrors; other statuses are returned.
 */
export async function requestJson(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown; timeoutMs: number }): Promise<JsonResponse> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new SyncError('TIMEOUT', `no answer within ${init.timeoutMs} ms`, true);
    throw new SyncError('NETWORK', e.cause?.code ?? e.message, true);
  }
  if (res.status >= 500) throw new SyncError('SERVER_ERROR', `HTTP ${res.status}`, true);
  if (res.status === 429) {
    // Laravel's throttle answers Retry-After in seconds.
    const after = Number(res.headers.get('retry-after'));
    throw new SyncError('RATE_LIMITED', `HTTP 429${after > 0 ? `, retry after ${after} s` : ''}`, true, after > 0 ? after * 1000 : undefined);
  }
  try {
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    throw new SyncError('MALFORMED_JSON', `HTTP ${res.status}, ${text.length} bytes that are not JSON`, true);
  }
}

/** `a.b.c` of an object, or undefined. */
export function pathValue(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.split('.')) {
    if (v == null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/**
 * The server's own reason for refusing a request (Laravel: `message`), cut short: spatie's query builder
 * names the refused sort or filter there, which is what an operator needs. Only parameter names and
 * Laravel's fixed texts come back in these answers, never records.
 */
export function serverMessage(body: unknown): string | null {
  const m = pathValue(body, 'message') ?? pathValue(body, 'messages');
  if (typeof m !== 'string' || !m.trim()) return null;
  const s = m.replace(/\s+/g, ' ').trim();
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
