import { z, type ZodIssue } from 'zod';
import {
  EVENT_CLASSES,
  FAILURE_REASONS,
  OUTCOMES,
  type EventClass,
  type FailureReason,
  type NormalisedEventInput,
  type Outcome,
} from '@accord/contracts';
import { AppError } from '../../../platform/errors.ts';
import type { ParseContext, ParseResult, Parser } from './parser.types.ts';

/*
 * Generic JSON: any JSON record with a per-source field mapping. The mapping says, for each
 * normalised field, where the value lives (a dotted path such as `actor.alternateId` or
 * `target.0.id`), optionally how to translate vendor values (`{"ok": "success"}`) and a constant
 * default. Mappings are validated strictly when the parser is created so a bad one is refused with
 * a message naming the field, never discovered record by record.
 *
 * This module also holds the timestamp and naming helpers the vendor JSON parsers share.
 */

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by the Entra and Okta parsers)
// ---------------------------------------------------------------------------------------------

export const TIME_FORMATS = ['iso', 'epoch_s', 'epoch_ms'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

export type TimeResult = { ok: true; iso: string } | { ok: false; error: string };

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const NUMERIC_RE = /^\s*\d+(?:\.\d+)?\s*$/;
const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A value quoted in an error message, shortened so a hostile record cannot bloat the reject log. */
export function shown(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value);
  else if (value === undefined) s = 'undefined';
  else if (typeof value === 'object' && value !== null) s = Array.isArray(value) ? 'an array' : 'an object';
  else s = String(value);
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/**
 * Strict ISO-8601 date-time to UTC milliseconds, or null. Unlike `Date.parse` it refuses dates that
 * do not exist (`2017-09-31`) instead of rolling them over, and never falls back to the host's
 * local time zone: a timestamp without a zone is read at `utcOffsetMinutes` east of UTC.
 */
function isoToMs(text: string, utcOffsetMinutes: number): number | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const dim = mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]!;
  if (d > dim) return null;
  let offset = utcOffsetMinutes;
  const zone = m[8];
  if (zone !== undefined) {
    if (zone === 'Z' || zone === 'z') offset = 0;
    else {
      const digits = zone.slice(1).replace(':', '');
      const oh = Number(digits.slice(0, 2));
      const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
      if (oh > 23 || om > 59) return null;
      offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
    }
  }
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime() - offset * 60_000;
}

/**
 * Reads a timestamp in the given format and returns it as ISO-8601 UTC (`...Z`, millisecond
 * precision). Errors name the field so the reject reason is actionable.
 */
export function parseTimestamp(
  value: unknown,
  format: TimeFormat,
  ctx: ParseContext,
  field = 'time',
): TimeResult {
  if (value === undefined || value === null || value === '') return { ok: false, error: `missing ${field}` };
  let ms: number | null = null;
  if (format === 'iso') {
    if (typeof value !== 'string') {
      return { ok: false, error: `invalid ${field}: expected an ISO-8601 string, got ${shown(value)}` };
    }
    ms = isoToMs(value, ctx.utcOffsetMinutes ?? 0);
    if (ms === null) {
      return { ok: false, error: `invalid ${field} ${shown(value)}: not an ISO-8601 date-time that exists` };
    }
  } else {
    let n: number;
    if (typeof value === 'number') n = value;
    else if (typeof value === 'string' && NUMERIC_RE.test(value)) n = Number(value);
    else {
      return {
        ok: false,
        error: `invalid ${field}: expected ${format === 'epoch_s' ? 'seconds' : 'milliseconds'} since 1970 as a number, got ${shown(value)}`,
      };
    }
    if (!Number.isFinite(n))
      return { ok: false, error: `invalid ${field}: ${shown(value)} is not a finite number` };
    ms = Math.floor(format === 'epoch_s' ? n * 1000 : n);
    if (format === 'epoch_s' && ms > MAX_MS && n * 1000 <= MAX_MS * 1000) {
      return {
        ok: false,
        error: `invalid ${field}: ${shown(value)} is out of range for epoch seconds (is it milliseconds?)`,
      };
    }
  }
  if (ms < MIN_MS || ms > MAX_MS) {
    return { ok: false, error: `invalid ${field} ${shown(value)}: outside 1970-01-01..9999-12-31` };
  }
  return { ok: true, iso: new Date(ms).toISOString() };
}

const NON_WORD_RE = /[^a-z0-9]+/g;
const TRIM_UNDERSCORE_RE = /^_+|_+$/g;
const CAMEL_RE = /([a-z0-9])([A-Z])/g;

/**
 * A vendor's type or label as an Accord activity name (`^[a-z][a-z0-9_]*$`):
 * `user.session.end` → `user_session_end`, `Add member to group` → `add_member_to_group`.
 * Returns null when nothing usable is left.
 */
export function toActivityName(raw: string): string | null {
  let s = raw
    .replace(CAMEL_RE, '$1_$2')
    .toLowerCase()
    .replace(NON_WORD_RE, '_')
    .replace(TRIM_UNDERSCORE_RE, '');
  if (s.length > 64) s = s.slice(0, 64).replace(TRIM_UNDERSCORE_RE, '');
  if (s === '') return null;
  if (!/^[a-z]/.test(s)) s = `x_${s}`;
  return s;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What kind of JSON value a rejected record was, for the reject reason. */
export function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** Follows pre-split path segments through objects (own keys only) and arrays (numeric segments). */
export function getPath(root: unknown, segments: readonly string[]): unknown {
  let cur: unknown = root;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      const i = Number(seg);
      if (!Number.isInteger(i) || i < 0 || i >= cur.length || seg !== String(i)) return undefined;
      cur = cur[i];
    } else if (isPlainObject(cur)) {
      if (!Object.hasOwn(cur, seg)) return undefined;
      cur = cur[seg];
    } else return undefined;
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------
// The mapping schema
// ---------------------------------------------------------------------------------------------

const Path = z
  .string()
  .min(1, 'a path cannot be empty')
  .max(256, 'a path is at most 256 characters')
  .refine((p) => p.split('.').every((seg) => seg.trim().length > 0 && seg === seg.trim()), {
    message: 'must be a dotted path such as "actor.alternateId" or "target.0.id" (no empty segments)',
  });

const ActivityName = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]*$/,
    'an activity is snake_case: lower-case letters, digits and "_", starting with a letter',
  );

function noCaseCollisions(map: Record<string, unknown> | undefined, ctx: z.RefinementCtx): void {
  if (!map) return;
  const seen = new Map<string, string>();
  for (const key of Object.keys(map)) {
    const folded = key.toLowerCase();
    const prior = seen.get(folded);
    if (prior !== undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['map', key],
        message: `value map keys ${JSON.stringify(prior)} and ${JSON.stringify(key)} are the same ignoring case`,
      });
    }
    seen.set(folded, key);
  }
}

/** A field is a dotted path, or `{ path?, map?, default? }` with at least a path or a default. */
function field<T extends z.ZodTypeAny>(value: T) {
  const spec = z
    .object({
      /** Where the value is in the record. */
      path: Path.optional(),
      /** Vendor value → normalised value, matched ignoring case; unlisted values pass through. */
      map: z.record(z.string(), value).optional(),
      /** Used when the path is absent, null or empty (or, for closed lists, holds an unknown value). */
      default: value.optional(),
    })
    .strict()
    .superRefine((f, ctx) => {
      if (f.path === undefined && f.default === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'needs a "path", a "default", or both' });
      }
      if (f.map !== undefined && f.path === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['map'], message: 'a value map needs a "path"' });
      }
      noCaseCollisions(f.map, ctx);
    });
  return z.union([Path, spec]);
}

const StringField = field(z.string());

const TimeSpec = z
  .object({
    path: Path,
    format: z.enum(TIME_FORMATS).default('iso'),
  })
  .strict();

export const GenericJsonMapping = z
  .object({
    /** Required: where the event time is, and how it is written (default ISO-8601). */
    time: z.union([Path, TimeSpec]),
    class: field(z.enum(EVENT_CLASSES)).optional(),
    activity: field(ActivityName).optional(),
    outcome: field(z.enum(OUTCOMES)).optional(),
    reason: field(z.enum(FAILURE_REASONS)).optional(),
    reasonDetail: StringField.optional(),
    user: StringField.optional(),
    userDomain: StringField.optional(),
    targetUser: StringField.optional(),
    group: StringField.optional(),
    srcIp: StringField.optional(),
    srcPort: field(z.number().int().min(0).max(65535)).optional(),
    geo: z
      .object({
        country: StringField.optional(),
        city: StringField.optional(),
        lat: field(z.number().min(-90).max(90)).optional(),
        lon: field(z.number().min(-180).max(180)).optional(),
      })
      .strict()
      .optional(),
    dstHost: StringField.optional(),
    app: StringField.optional(),
    authProtocol: StringField.optional(),
    mfaUsed: field(z.boolean()).optional(),
    processName: StringField.optional(),
    commandLine: StringField.optional(),
    vendorEventId: StringField.optional(),
  })
  .strict();
/** A mapping as written by a user (paths may be given as bare strings). */
export type GenericJsonMapping = z.input<typeof GenericJsonMapping>;
type Mapping = z.output<typeof GenericJsonMapping>;

/** Unions report every branch's complaint; keep the branch that matches the value's shape. */
function flattenIssues(issues: readonly ZodIssue[]): ZodIssue[] {
  const out: ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union') {
      const branches = issue.unionErrors.map((e) => e.issues);
      const depth = issue.path.length;
      const best =
        branches.find((b) => !b.some((i) => i.code === 'invalid_type' && i.path.length === depth)) ??
        branches[0] ??
        [];
      const rootType = (b: ZodIssue[]) =>
        b.find((i) => i.code === 'invalid_type' && i.path.length === depth) as
          (ZodIssue & { received?: string }) | undefined;
      if (branches.every((b) => rootType(b) !== undefined)) {
        const missing = rootType(branches[0]!)?.received === 'undefined';
        out.push({ ...issue, message: missing ? 'Required' : 'expected a dotted path string or an object' });
      } else out.push(...flattenIssues(best));
    } else out.push(issue);
  }
  return out;
}

function formatIssue(issue: ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : '(mapping)';
  return `${where}: ${issue.message}`;
}

export type MappingValidation =
  { ok: true; mapping: Mapping } | { ok: false; error: string; issues: string[] };

/** Validates a mapping, returning every problem as `field.path: message`. */
export function validateGenericJsonMapping(input: unknown): MappingValidation {
  const parsed = GenericJsonMapping.safeParse(input);
  if (parsed.success) return { ok: true, mapping: parsed.data };
  const issues = flattenIssues(parsed.error.issues).map(formatIssue);
  return { ok: false, error: `invalid field mapping: ${issues.join('; ')}`, issues };
}

// ---------------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------------

type Spec<T> = { segments: string[] | null; map: Map<string, T> | null; fallback: T | undefined };

function compile<T>(
  f: string | { path?: string; map?: Record<string, T>; default?: T } | undefined,
): Spec<T> | null {
  if (f === undefined) return null;
  if (typeof f === 'string') return { segments: f.split('.'), map: null, fallback: undefined };
  const map = f.map ? new Map(Object.entries(f.map).map(([k, v]) => [k.toLowerCase(), v] as const)) : null;
  return { segments: f.path ? f.path.split('.') : null, map, fallback: f.default };
}

/** A scalar as the text the value map is keyed by; objects and arrays are not scalars. */
function scalarText(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return null;
}

type Raw = { text: string | null; mapped: unknown; hit: boolean };

function lookup<T>(spec: Spec<T>, record: Record<string, unknown>): Raw {
  if (!spec.segments) return { text: null, mapped: undefined, hit: false };
  const text = scalarText(getPath(record, spec.segments));
  if (text === null || !spec.map) return { text, mapped: undefined, hit: false };
  const key = text.toLowerCase();
  return spec.map.has(key)
    ? { text, mapped: spec.map.get(key), hit: true }
    : { text, mapped: undefined, hit: false };
}

function readString(spec: Spec<string> | null, record: Record<string, unknown>): string | null {
  if (!spec) return null;
  const r = lookup(spec, record);
  if (r.hit) return r.mapped as string;
  return r.text ?? spec.fallback ?? null;
}

function readEnum<T extends string>(
  spec: Spec<T> | null,
  record: Record<string, unknown>,
  allowed: readonly T[],
): T | null {
  if (!spec) return null;
  const r = lookup(spec, record);
  if (r.hit) return r.mapped as T;
  if (r.text !== null) {
    const direct = allowed.find((a) => a === r.text!.toLowerCase());
    if (direct) return direct;
  }
  return spec.fallback ?? null;
}

function readNumber(spec: Spec<number> | null, record: Record<string, unknown>, ok: (n: number) => boolean) {
  if (!spec) return null;
  const r = lookup(spec, record);
  if (r.hit) return r.mapped as number;
  if (r.text !== null && NUMERIC_RE.test(r.text.replace(/^-/, ''))) {
    const n = Number(r.text);
    if (ok(n)) return n;
  }
  return spec.fallback ?? null;
}

const TRUE_TEXT = new Set(['true', 'yes', 'y', '1']);
const FALSE_TEXT = new Set(['false', 'no', 'n', '0']);

function readBoolean(spec: Spec<boolean> | null, record: Record<string, unknown>): boolean | null {
  if (!spec) return null;
  const r = lookup(spec, record);
  if (r.hit) return r.mapped as boolean;
  if (r.text !== null) {
    const t = r.text.toLowerCase();
    if (TRUE_TEXT.has(t)) return true;
    if (FALSE_TEXT.has(t)) return false;
  }
  return spec.fallback ?? null;
}

function readActivity(spec: Spec<string> | null, record: Record<string, unknown>): string | null {
  if (!spec) return null;
  const r = lookup(spec, record);
  if (r.hit) return r.mapped as string;
  return (r.text !== null ? toActivityName(r.text) : null) ?? spec.fallback ?? null;
}

const STRING_FIELDS = [
  'reasonDetail',
  'user',
  'userDomain',
  'targetUser',
  'group',
  'srcIp',
  'dstHost',
  'app',
  'authProtocol',
  'processName',
  'commandLine',
  'vendorEventId',
] as const;

/**
 * Builds a parser from a mapping. The mapping is validated first; an invalid one throws an
 * `AppError('validation_failed')` whose message lists every problem by field.
 *
 * Per record: `time` is required (missing or unreadable → rejected). Values found through a value
 * map are used as mapped; for the closed lists (class, outcome, reason) an unmapped value is used if
 * it already is an Accord value, else the default. `class` defaults to `other`, `outcome` to
 * `unknown`; a failure without a mapped reason gets `other`, and non-failures carry no reason.
 * An unmapped activity is converted to snake_case. Unreadable optional values become null.
 */
export function createGenericJsonParser(mapping: GenericJsonMapping): Parser<unknown> {
  const checked = validateGenericJsonMapping(mapping);
  if (!checked.ok) throw new AppError('validation_failed', checked.error, { issues: checked.issues });
  const m = checked.mapping;

  const timeSpec = typeof m.time === 'string' ? { path: m.time, format: 'iso' as const } : m.time;
  const timeSegments = timeSpec.path.split('.');
  const timeField = `time at "${timeSpec.path}"`;
  const classSpec = compile<EventClass>(m.class);
  const activitySpec = compile<string>(m.activity);
  const outcomeSpec = compile<Outcome>(m.outcome);
  const reasonSpec = compile<FailureReason>(m.reason);
  const srcPortSpec = compile<number>(m.srcPort);
  const mfaSpec = compile<boolean>(m.mfaUsed);
  const strings = STRING_FIELDS.map((name) => [name, compile<string>(m[name])] as const).filter(
    (entry): entry is readonly [(typeof STRING_FIELDS)[number], Spec<string>] => entry[1] !== null,
  );
  const geo = m.geo
    ? {
        country: compile<string>(m.geo.country),
        city: compile<string>(m.geo.city),
        lat: compile<number>(m.geo.lat),
        lon: compile<number>(m.geo.lon),
      }
    : null;

  return {
    kind: 'generic_json',
    input: 'json',
    parse(record: unknown, ctx: ParseContext): ParseResult {
      if (!isPlainObject(record))
        return { ok: false, error: `record is ${jsonKind(record)}, not a JSON object` };
      const time = parseTimestamp(getPath(record, timeSegments), timeSpec.format, ctx, timeField);
      if (!time.ok) return { ok: false, error: time.error };

      const cls = readEnum(classSpec, record, EVENT_CLASSES) ?? 'other';
      const outcome = readEnum(outcomeSpec, record, OUTCOMES) ?? 'unknown';
      const reason =
        outcome === 'failure' ? (readEnum(reasonSpec, record, FAILURE_REASONS) ?? 'other') : null;
      const event: NormalisedEventInput = {
        time: time.iso,
        class: cls,
        activity: readActivity(activitySpec, record) ?? 'other',
        outcome,
        reason,
      };
      for (const [name, spec] of strings) event[name] = readString(spec, record);
      event.srcPort = readNumber(srcPortSpec, record, (n) => Number.isInteger(n) && n >= 0 && n <= 65535);
      event.mfaUsed = readBoolean(mfaSpec, record);
      if (geo) {
        const g: { country?: string; city?: string; lat?: number; lon?: number } = {};
        const country = readString(geo.country, record);
        const city = readString(geo.city, record);
        const lat = readNumber(geo.lat, record, (n) => n >= -90 && n <= 90);
        const lon = readNumber(geo.lon, record, (n) => n >= -180 && n <= 180);
        if (country !== null) g.country = country;
        if (city !== null) g.city = city;
        if (lat !== null && lon !== null) {
          g.lat = lat;
          g.lon = lon;
        }
        event.geo = Object.keys(g).length > 0 ? g : null;
      }
      return { ok: true, event };
    },
  };
}
