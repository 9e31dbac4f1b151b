/**
 * What the OpenSID servers' Laravel stack does to a request before and around their own code, as the
 * simulator needs it: rate limiters (Illuminate RateLimiter, fixed window from the first hit), spatie's
 * query builder (`filter[...]`, `sort`, 400 for anything not allowed), spatie's JSON:API paginator
 * (`page[number]`, `page[size]` capped) and Fractal's JsonApiSerializer. Sources are named in
 * docs/protocols/.
 */

/** Illuminate\Cache\RateLimiter: `hit` starts a window at the first hit; `tooManyAttempts` until it ends. */
export class FixedWindowLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private current(key: string) {
    const h = this.hits.get(key);
    if (h && h.resetAt <= this.now()) { this.hits.delete(key); return undefined; }
    return h;
  }

  tooMany(key: string, max: number): boolean {
    return (this.current(key)?.count ?? 0) >= max;
  }

  hit(key: string, decayMs: number): number {
    const h = this.current(key) ?? { count: 0, resetAt: this.now() + decayMs };
    h.count += 1;
    this.hits.set(key, h);
    return h.count;
  }

  availableInMs(key: string): number {
    return Math.max(0, (this.current(key)?.resetAt ?? this.now()) - this.now());
  }

  clear(key: string): void {
    this.hits.delete(key);
  }
}

export interface HttpAnswer { status: number; body: unknown; headers?: Record<string, string> }

/**
 * ThrottleRequests with a named limiter `Limit::perMinute(n)->by(user ?: ip)`: the request is counted,
 * and the one over the limit answers 429 with Retry-After (seconds) and Laravel's JSON message.
 */
export function throttle(limiter: FixedWindowLimiter, key: string, limit: { requests: number; windowMs: number } | null): HttpAnswer | null {
  if (!limit) return null;
  if (limiter.tooMany(key, limit.requests)) {
    const retry = Math.max(1, Math.ceil(limiter.availableInMs(key) / 1000));
    return {
      status: 429,
      body: { message: 'Too Many Attempts.' },
      headers: { 'retry-after': String(retry), 'x-ratelimit-limit': String(limit.requests), 'x-ratelimit-remaining': '0' },
    };
  }
  limiter.hit(key, limit.windowMs);
  return null;
}

/** `filter[a]=x&filter[b.c]=y` → {a: x, 'b.c': y}, as Laravel reads the `filter` array. */
export function filtersOf(url: URL): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of url.searchParams) {
    const m = /^filter\[([^\]]+)\]$/.exec(k);
    if (m) out.set(m[1]!, v);
  }
  return out;
}

/** spatie QueryBuilder: a filter that is not allowed is a 400 (InvalidFilterQuery). */
export function refusedFilter(filters: Map<string, string>, allowed: readonly string[]): HttpAnswer | null {
  const unknown = [...filters.keys()].filter((f) => !allowed.includes(f));
  if (!unknown.length) return null;
  return { status: 400, body: { message: `Requested filter(s) \`${unknown.join(', ')}\` are not allowed. Allowed filter(s) are \`${allowed.join(', ')}\`.` } };
}

export interface SortField { field: string; descending: boolean }

/** spatie QueryBuilder: `sort=a,-b`; a sort that is not allowed is a 400 (InvalidSortQuery). */
export function sortsOf(url: URL, allowed: readonly string[]): SortField[] | HttpAnswer {
  const raw = url.searchParams.get('sort');
  if (raw === null || raw === '') return [];
  const fields = raw.split(',').map((f) => f.trim()).filter(Boolean).map((f) => ({ field: f.replace(/^-/, ''), descending: f.startsWith('-') }));
  const unknown = fields.filter((f) => !allowed.includes(f.field)).map((f) => f.field);
  if (unknown.length) {
    return { status: 400, body: { message: `Requested sort(s) \`${unknown.join(', ')}\` is not allowed. Allowed sort(s) are \`${allowed.join(', ')}\`.` } };
  }
  return fields;
}

/**
 * spatie/laravel-json-api-paginate 1.16: `page[size]` as an integer, the default when absent or not
 * above 0, capped at the maximum (silently); Laravel's paginator takes `page[number]` when it is an
 * integer of at least 1, else page 1.
 */
export function pageOf(url: URL, max: number, defaultSize: number): { number: number; size: number } {
  const rawSize = url.searchParams.get('page[size]');
  let size = rawSize === null ? defaultSize : Number.parseInt(rawSize, 10) || 0;
  if (size <= 0) size = defaultSize;
  if (size > max) size = max;
  const rawNumber = url.searchParams.get('page[number]');
  const number = rawNumber !== null && /^\s*\d+\s*$/.test(rawNumber) && Number(rawNumber) >= 1 ? Number(rawNumber) : 1;
  return { number, size };
}

/**
 * Fractal's JsonApiSerializer over a LengthAwarePaginator: `data[]` of {type, id (string), attributes
 * without id}, `meta.pagination` {total, count, per_page, current_page, total_pages (at least 1)} and
 * the page links at the top. Items come serialized already (the simulator keeps each one's JSON).
 */
export function jsonApiBody(items: string[], url: URL, p: { number: number; size: number }, total: number, countOverride?: number): string {
  const totalPages = Math.max(1, Math.ceil(total / p.size));
  const link = (n: number) => {
    const u = new URL(url);
    u.searchParams.set('page[number]', String(n));
    return u.pathname + u.search;
  };
  const links: Record<string, string> = { self: link(p.number), first: link(1) };
  if (p.number > 1) links.prev = link(p.number - 1);
  if (p.number < totalPages) links.next = link(p.number + 1);
  links.last = link(totalPages);
  const rest = JSON.stringify({
    meta: { pagination: { total, count: countOverride ?? items.length, per_page: p.size, current_page: p.number, total_pages: totalPages } },
    links,
  });
  return `{"data":[${items.join(',')}],${rest.slice(1)}`;
}
