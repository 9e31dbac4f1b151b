/**
 * The one way an error leaves the process: in logs and as a job's failure reason in Redis. Personal data
 * (UU PDP) rides inside errors: drizzle's "Failed query … params: …" lists every value of a batch,
 * Postgres quotes the offending value ("invalid input syntax for type date: \"…\"") and puts the row in
 * `detail`. What is kept is what an operator needs: the codes, the constraint, table and column, and the
 * query's shape (its text up to the parameter list, which carries `$1` placeholders, not values).
 */
export interface SafeError {
  /** The error's class (`type`, not `name`: the logger redacts every `name` as personal data). */
  type: string;
  message: string;
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  routine?: string;
  query?: string;
  stack?: string;
  cause?: SafeError;
}

const QUERY_SHAPE_MAX = 300;
const STACK_FRAMES = 8;

/** Quoted values and anything after a parameter list go; the words around them stay. */
export function safeText(text: string): string {
  const cut = text.search(/\n\s*params:/i);
  const head = cut >= 0 ? text.slice(0, cut) : text;
  return head
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/'(?:[^'\\]|\\.)*'/g, "'…'")
    // "Key (nik)=(1812…) already exists": the column stays, the value goes.
    .replace(/=\([^)]*\)/g, '=(…)')
    // A long run of digits is a NIK or KK in all but name.
    .replace(/\d{8,}/g, '…');
}

function queryShape(query: unknown): string | undefined {
  if (typeof query !== 'string') return undefined;
  const oneLine = query.replace(/\s+/g, ' ').trim();
  // A literal in the text (drizzle inlines none, raw SQL might) is dropped like a message's.
  const shape = safeText(oneLine);
  return shape.length > QUERY_SHAPE_MAX ? `${shape.slice(0, QUERY_SHAPE_MAX)}…` : shape;
}

function frames(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined;
  const at = stack.split('\n').filter((l) => /^\s+at /.test(l)).slice(0, STACK_FRAMES).map((l) => l.trim());
  return at.length ? at.join('\n') : undefined;
}

export function safeError(err: unknown, depth = 0): SafeError {
  if (typeof err === 'string') return { type: 'Error', message: safeText(err) };
  if (!err || typeof err !== 'object') return { type: 'Error', message: String(err) };
  const e = err as Record<string, unknown>;
  const type = typeof e.name === 'string' ? e.name : typeof e.type === 'string' ? e.type : 'Error';
  const rawMessage = typeof e.message === 'string' ? e.message : '';
  // drizzle's message is the query and its values; the query is kept as the shape, the values never.
  const isFailedQuery = rawMessage.startsWith('Failed query:');
  const out: SafeError = { type, message: isFailedQuery ? 'Failed query' : safeText(rawMessage) };
  const str = (k: string) => (typeof e[k] === 'string' || typeof e[k] === 'number' ? String(e[k]) : undefined);
  const code = str('code');
  if (code) out.code = code;
  for (const k of ['constraint', 'table', 'column', 'routine'] as const) {
    const v = str(k === 'constraint' ? 'constraint_name' : k === 'table' ? 'table_name' : k === 'column' ? 'column_name' : 'routine') ?? str(k);
    if (v) out[k] = safeText(v);
  }
  const query = queryShape(e.query) ?? (isFailedQuery ? queryShape(rawMessage.slice('Failed query:'.length)) : undefined);
  if (query) out.query = query;
  const stack = frames(e.stack);
  if (stack) out.stack = stack;
  if (e.cause !== undefined && depth < 4) out.cause = safeError(e.cause, depth + 1);
  return out;
}

/** One line for places that take a string (a job's failure reason): name, codes, constraint, shape. */
export function safeErrorLine(err: unknown): string {
  const parts: string[] = [];
  for (let s: SafeError | undefined = safeError(err); s; s = s.cause) {
    const bits = [s.code, s.constraint && `constraint ${s.constraint}`, s.table && `table ${s.table}`, s.column && `column ${s.column}`]
      .filter(Boolean).join(', ');
    parts.push(`${s.type}: ${s.message}${bits ? ` (${bits})` : ''}${s.query ? ` [${s.query}]` : ''}`);
  }
  return parts.join(' <- ');
}

/**
 * An error fit to be stored: BullMQ keeps a failed job's message and stack in Redis for days, so the
 * stage's own error is replaced by one that carries only the safe line and frames.
 */
export function storableError(err: unknown): Error {
  const safe = new Error(safeErrorLine(err));
  const s = safeError(err);
  safe.name = s.type;
  safe.stack = `${safe.name}: ${safe.message}${s.stack ? `\n    ${s.stack.split('\n').join('\n    ')}` : ''}`;
  return safe;
}
