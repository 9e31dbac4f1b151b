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
  if (res.status === 429) throw new SyncError('RATE_LIMITED', 'HTTP 429', true);
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
