/**
 * Field readers shared by the inventory parsers. Each throws a RowError whose message becomes the
 * rejection reason of the row (the line is added by the caller).
 */
export class RowError extends Error {}

const TRUE = new Set(['yes', 'y', 'true', 't', '1']);
const FALSE = new Set(['no', 'n', 'false', 'f', '0']);

/** yes/no/true/false/1/0 (any case); empty is null. */
export function bool(value: unknown, column: string): boolean | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'boolean') return value;
  const s = String(value).trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new RowError(`${column} must be yes/no/true/false/1/0, not ${JSON.stringify(String(value))}`);
}

/** A boolean that must be given. */
export function requiredBool(value: unknown, column: string): boolean {
  const b = bool(value, column);
  if (b === null) throw new RowError(`${column} is required (yes/no/true/false/1/0)`);
  return b;
}

/** An ISO 8601 time or date (a date means midnight UTC); empty is null. Returned as ISO UTC. */
export function time(value: unknown, column: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  const s = String(value).trim();
  const ok = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(s);
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (!ok || Number.isNaN(d.getTime()))
    throw new RowError(`${column} must be an ISO 8601 date or time, not ${JSON.stringify(s)}`);
  return d.toISOString();
}

/** A non-empty text value. */
export function text(value: unknown, column: string): string {
  const s = value === null || value === undefined ? '' : String(value).trim();
  if (!s) throw new RowError(`${column} is required`);
  return s;
}

/** Optional text; empty is null. */
export const optText = (value: unknown): string | null => {
  const s = value === null || value === undefined ? '' : String(value).trim();
  return s ? s : null;
};

/** A list given as "a;b;c" (or a JSON array). */
export function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  if (value === null || value === undefined) return [];
  return String(value)
    .split(/[;|]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export const keyOf = (...parts: string[]) => parts.map((p) => p.trim().toLowerCase()).join('|');

/** The first Zod issue of an item, as a rejection reason. */
export function zodReason(error: { issues: { path: (string | number)[]; message: string }[] }): string {
  const i = error.issues[0]!;
  return `${i.path.join('.') || 'row'}: ${i.message}`;
}
