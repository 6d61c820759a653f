import type { ParseContext } from './parser.types.ts';

/**
 * Syslog message parsing (RFC 3164 "BSD" and RFC 5424) and TCP framing (RFC 6587).
 *
 * `parseSyslog` is pure and deterministic: the only clock is `ctx.receivedAt`, used to give classic
 * timestamps (which carry no year) their year and to date RFC 5424 messages whose TIMESTAMP is `-`.
 * All regexes are compiled once; the hot path allocates little beyond the returned message.
 */

export type SyslogFormat = 'rfc3164' | 'rfc5424';

/** RFC 5424 STRUCTURED-DATA: SD-ID -> param name -> value (escapes resolved; a repeated name keeps the last). */
export type StructuredData = Record<string, Record<string, string>>;

export interface SyslogMessage {
  format: SyslogFormat;
  /** ISO-8601 UTC with milliseconds (finer fractions are truncated). */
  time: string;
  /** HOSTNAME; null when absent or `-`. */
  host: string | null;
  /** The program: RFC 3164 TAG (`sshd`, `sshd(pam_unix)`) or RFC 5424 APP-NAME; null when absent or `-`. */
  app: string | null;
  /** RFC 3164 `[pid]` or RFC 5424 PROCID; null when absent or `-`. */
  pid: string | null;
  /** The message text (RFC 5424: without a leading BOM; may be empty only in RFC 5424). */
  msg: string;
  /** From `<PRI>` when present: PRI >> 3. */
  facility?: number;
  /** From `<PRI>` when present: PRI & 7. */
  severity?: number;
  /** RFC 5424 MSGID; null when `-`. Absent for RFC 3164. */
  msgId?: string | null;
  /** RFC 5424 STRUCTURED-DATA; null when `-`. Absent for RFC 3164. */
  structuredData?: StructuredData | null;
}

export type SyslogParseResult = { ok: true; message: SyslogMessage } | { ok: false; error: string };

const DAY_MS = 86_400_000;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS = new Map<string, number>();
MONTH_NAMES.forEach((name, i) => {
  MONTHS.set(name, i);
  MONTHS.set(name.toUpperCase(), i);
  MONTHS.set(name.toLowerCase(), i);
});
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
function daysInMonth(y: number, m0: number): number {
  return m0 === 1 && isLeap(y) ? 29 : DAYS_IN_MONTH[m0]!;
}

/** Milliseconds from a fraction's digits ("003" -> 3, "000003" -> 0, "5" -> 500). */
function fractionMs(frac: string | undefined): number {
  if (frac === undefined) return 0;
  const d = frac.length >= 3 ? frac.slice(0, 3) : (frac + '00').slice(0, 3);
  return +d;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

// The year of the last receivedAt seen, so a batch with one receivedAt computes it once.
let cachedRef = NaN;
let cachedOffset = NaN;
let cachedYear = 0;

/**
 * The instant (epoch ms) of a classic timestamp without a year, or null when no year makes the
 * date exist (Feb 29 in no recent leap year). The year chosen is the one that puts the timestamp
 * closest to `ctx.receivedAt` while not more than a day after it (tolerating clock skew): a
 * December line received on 2 January is last year's, a 1 January line received late on
 * 31 December is next year's. The wall time is in `ctx.utcOffsetMinutes` (default UTC).
 */
export function resolveYearlessTime(
  month0: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  ctx: ParseContext,
): number | null {
  const ref = ctx.receivedAt.getTime();
  const offsetMs = (ctx.utcOffsetMinutes ?? 0) * 60_000;
  if (Number.isNaN(ref)) return null;
  let year: number;
  if (ref === cachedRef && offsetMs === cachedOffset) year = cachedYear;
  else {
    year = new Date(ref + offsetMs).getUTCFullYear();
    cachedRef = ref;
    cachedOffset = offsetMs;
    cachedYear = year;
  }
  const limit = ref + DAY_MS;
  // Latest candidate not beyond the limit is the closest; 9 years always contain a leap year.
  for (let y = year + 1; y >= year - 8; y--) {
    if (day > daysInMonth(y, month0)) continue;
    const t = Date.UTC(y, month0, day, hour, minute, second, ms) - offsetMs;
    if (t <= limit) return t;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Header regexes (sticky: applied at an index, no slicing of the line).

/** RFC 3164 timestamp: `Dec 10 06:55:46`, `Jun  9 ...`, `Jun 9 ...`, optional year or fraction. */
const BSD_TS_RE = /([A-Za-z]{3}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?= |$)/y;
/** RFC 3339 timestamp in front of a BSD-style host/tag (rsyslog high-precision file format). */
const ISO_TS_RE =
  /(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?(?= |$)/y;
/** RFC 3164 TAG: `sshd[24200]: `, `sshd(pam_unix)[19939]: `, `kernel: `. */
const TAG_RE = /([^\s[\]:]{1,64})(?:\[(\d{1,10})\])?: ?/y;
/** RFC 5424 header through MSGID. */
const RFC5424_RE =
  /([1-9]\d{0,2}) (?:-|(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?) (\S+) (\S+) (\S+) (\S+)/y;
/** A three-letter word: the start of a (cut or malformed) classic timestamp. */
const MONTH_WORD_RE = /[A-Za-z]{3} /y;
/** Looks like an RFC 5424 VERSION followed by a timestamp or `-` (used to choose the parser). */
const RFC5424_SNIFF_RE = /[1-9]\d{0,2} (?:-|\d{4}-)/y;

function fail(error: string): SyslogParseResult {
  return { ok: false, error };
}

function isBlank(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** Validate Y-M-D h:m:s and return epoch ms (offset applied), or an error text. */
function isoInstant(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  frac: string | undefined,
  tz: string | undefined,
  ctx: ParseContext,
): number | string {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo - 1)) {
    return `impossible date ${y}-${pad2(mo)}-${pad2(d)}`;
  }
  if (h > 23 || mi > 59 || s > 59) return `impossible time ${pad2(h)}:${pad2(mi)}:${pad2(s)}`;
  let offsetMin: number;
  if (tz === undefined) offsetMin = ctx.utcOffsetMinutes ?? 0;
  else if (tz === 'Z') offsetMin = 0;
  else {
    const oh = +tz.slice(1, 3);
    const om = +tz.slice(4, 6);
    if (oh > 23 || om > 59) return `impossible time zone offset ${tz}`;
    offsetMin = (tz.charCodeAt(0) === 45 ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(y, mo - 1, d, h, mi, s, fractionMs(frac)) - offsetMin * 60_000;
}

// The last instant formatted, and the ISO text of its second up to the fraction: consecutive log
// lines mostly share their second, so formatting costs a string concatenation (or nothing).
let isoLastT = NaN;
let isoLast = '';
let isoSec = NaN;
let isoSecPrefix = '';

/** Date#toISOString's text of an instant (the same bytes), or '' when ISO-8601 cannot write it. */
export function toIso(t: number): string {
  if (t === isoLastT) return isoLast;
  // Years before 0 or after 9999 cannot be written as ISO-8601 without extension.
  if (!(t >= -62_167_219_200_000 && t <= 253_402_300_799_999)) return '';
  const sec = Math.floor(t / 1000);
  if (sec !== isoSec) {
    isoSecPrefix = new Date(sec * 1000).toISOString().slice(0, 20); // YYYY-MM-DDTHH:MM:SS.
    isoSec = sec;
  }
  const ms = t - sec * 1000;
  isoLast = isoSecPrefix + (ms < 10 ? '00' : ms < 100 ? '0' : '') + ms + 'Z';
  isoLastT = t;
  return isoLast;
}

/**
 * Parse one syslog message (one line, without framing). Accepts RFC 3164 with or without `<PRI>`
 * (also with an RFC 3339 timestamp instead of the classic one), and RFC 5424. Trailing CR/LF/NUL
 * are ignored. Rejects what is not syslog, truncated lines (no message part) and impossible dates.
 */
export function parseSyslog(line: string, ctx: ParseContext): SyslogParseResult {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 10 && c !== 13 && c !== 0) break;
    end--;
  }
  if (end !== line.length) line = line.slice(0, end);
  if (end === 0 || isBlank(line, 0)) return fail('empty line');

  let p = 0;
  let pri = -1;
  if (line.charCodeAt(0) === 60 /* < */) {
    let v = 0;
    let i = 1;
    while (i < end && i <= 4) {
      const c = line.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    if (i === 1 || i > 4 || line.charCodeAt(i) !== 62 /* > */) {
      return fail('not syslog: "<" not followed by a PRI of 1-3 digits and ">"');
    }
    if (v > 191) return fail(`invalid PRI <${v}>: must be 0-191`);
    pri = v;
    p = i + 1;
  }

  RFC5424_SNIFF_RE.lastIndex = p;
  const result = RFC5424_SNIFF_RE.test(line) ? parse5424(line, p, ctx) : parse3164(line, p, ctx);
  if (result.ok && pri >= 0) {
    result.message.facility = pri >> 3;
    result.message.severity = pri & 7;
  }
  return result;
}

// The last classic timestamp read (its text, the context it was read in, and what it gave):
// consecutive lines mostly share their second, and then share all of it.
let stampText = '';
let stampRef = NaN;
let stampOffset = NaN;
let stampIso = '';

function parse3164(line: string, p: number, ctx: ParseContext): SyslogParseResult {
  let t: number;
  let i: number;
  let time: string;
  // The same text (followed by the same boundary the expression requires) reads the same way.
  const end = p + stampText.length;
  if (
    stampText !== '' &&
    line.startsWith(stampText, p) &&
    (end === line.length || line.charCodeAt(end) === 32) &&
    ctx.receivedAt.getTime() === stampRef &&
    (ctx.utcOffsetMinutes ?? 0) === stampOffset
  ) {
    return parse3164Rest(line, end, stampIso);
  }
  BSD_TS_RE.lastIndex = p;
  const b = BSD_TS_RE.exec(line);
  if (b !== null) {
    i = BSD_TS_RE.lastIndex;
    const month0 = MONTHS.get(b[1]!);
    if (month0 === undefined) return fail(`impossible date: unknown month "${b[1]}"`);
    const day = +b[2]!;
    const hour = +b[4]!;
    const minute = +b[5]!;
    const second = +b[6]!;
    if (day < 1 || day > (month0 === 1 ? 29 : DAYS_IN_MONTH[month0]!)) {
      return fail(`impossible date: ${MONTH_NAMES[month0]} ${day}`);
    }
    if (hour > 23 || minute > 59 || second > 59) {
      return fail(`impossible time ${b[4]}:${b[5]}:${b[6]}`);
    }
    if (b[3] !== undefined) {
      const r = isoInstant(+b[3], month0 + 1, day, hour, minute, second, b[7], undefined, ctx);
      if (typeof r === 'string') return fail(r);
      t = r;
    } else {
      const r = resolveYearlessTime(month0, day, hour, minute, second, fractionMs(b[7]), ctx);
      if (r === null) {
        return fail(
          Number.isNaN(ctx.receivedAt.getTime())
            ? 'invalid receivedAt'
            : `impossible date: ${MONTH_NAMES[month0]} ${day} in no year near receivedAt`,
        );
      }
      t = r;
    }
    time = toIso(t);
    if (time !== '') {
      stampText = b[0];
      stampRef = ctx.receivedAt.getTime();
      stampOffset = ctx.utcOffsetMinutes ?? 0;
      stampIso = time;
    }
  } else {
    ISO_TS_RE.lastIndex = p;
    const m = ISO_TS_RE.exec(line);
    if (m === null) {
      MONTH_WORD_RE.lastIndex = p;
      if (MONTH_WORD_RE.test(line)) {
        return fail('truncated or malformed RFC 3164 timestamp (expected e.g. "Dec 10 06:55:46")');
      }
      return fail(
        p > 0
          ? 'not syslog: after <PRI> expected an RFC 3164 timestamp or an RFC 5424 version'
          : 'not syslog: no RFC 3164 timestamp ("Dec 10 06:55:46") or RFC 5424 header ("<34>1 ...")',
      );
    }
    i = ISO_TS_RE.lastIndex;
    const r = isoInstant(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7], m[8], ctx);
    if (typeof r === 'string') return fail(r);
    t = r;
    time = toIso(t);
  }
  return parse3164Rest(line, i, time);
}

let lastHost = '';

/** An RFC 3164 line after its timestamp (read up to `i`): hostname, tag and message. */
function parse3164Rest(line: string, i: number, time: string): SyslogParseResult {
  if (time === '') return fail('impossible date: out of range');

  const len = line.length;
  if (i >= len || isBlank(line, i)) return fail('truncated: no hostname or message after the timestamp');
  i++; // the space after the timestamp
  while (line.charCodeAt(i) === 32) i++;
  const hostEnd = line.indexOf(' ', i);
  if (hostEnd === -1) return fail(`truncated: no message after "${line.slice(i, i + 64)}"`);
  // Lines of one stream mostly share their host: the same text is not copied again.
  let host: string | null =
    hostEnd - i === lastHost.length && line.startsWith(lastHost, i)
      ? lastHost
      : (lastHost = line.slice(i, hostEnd));
  let tagStart: number;
  if (host.charCodeAt(host.length - 1) === 58 /* : */) {
    // No HOSTNAME: the first token is the TAG (`Dec 10 06:55:46 sshd[1]: msg`).
    host = null;
    tagStart = i;
  } else {
    tagStart = hostEnd + 1;
    while (line.charCodeAt(tagStart) === 32) tagStart++;
  }

  let app: string | null = null;
  let pid: string | null = null;
  let msgStart = tagStart;
  TAG_RE.lastIndex = tagStart;
  const tag = TAG_RE.exec(line);
  if (tag !== null) {
    app = tag[1]!;
    pid = tag[2] ?? null;
    msgStart = TAG_RE.lastIndex;
    if (msgStart >= len || isBlank(line, msgStart)) {
      return fail(`truncated: no message after "${line.slice(tagStart, msgStart).trimEnd()}"`);
    }
  } else {
    if (msgStart >= len) return fail('truncated: no message after the hostname');
    // Without a TAG the content must still be a message, not a lone (cut) token like `sshd[24`.
    if (line.indexOf(' ', msgStart) === -1) {
      return fail(`truncated: no message after "${line.slice(msgStart, msgStart + 64)}"`);
    }
  }
  const msg = msgStart === 0 ? line : line.slice(msgStart);
  return {
    ok: true,
    message: { format: 'rfc3164', time, host, app, pid, msg, facility: undefined, severity: undefined },
  };
}

function nil(s: string): string | null {
  return s === '-' ? null : s;
}

function parse5424(line: string, p: number, ctx: ParseContext): SyslogParseResult {
  RFC5424_RE.lastIndex = p;
  const m = RFC5424_RE.exec(line);
  if (m === null) {
    return fail(
      'malformed RFC 5424 header: expected VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA',
    );
  }
  if (m[1] !== '1') return fail(`unsupported RFC 5424 version ${m[1]}`);
  let time: string;
  if (m[2] === undefined) {
    // TIMESTAMP is NILVALUE: the receiver's time is the best there is.
    time = ctx.receivedAt.toISOString();
  } else {
    const r = isoInstant(+m[2], +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!, m[8], m[9], ctx);
    if (typeof r === 'string') return fail(r);
    time = toIso(r);
    if (time === '') return fail('impossible date: out of range');
  }
  const host = m[10]!;
  const app = m[11]!;
  const procId = m[12]!;
  const msgId = m[13]!;
  if (host.length > 255) return fail('malformed RFC 5424 HOSTNAME: longer than 255 characters');
  if (app.length > 48) return fail('malformed RFC 5424 APP-NAME: longer than 48 characters');
  if (procId.length > 128) return fail('malformed RFC 5424 PROCID: longer than 128 characters');
  if (msgId.length > 32) return fail('malformed RFC 5424 MSGID: longer than 32 characters');

  let i = RFC5424_RE.lastIndex;
  const len = line.length;
  if (i >= len || line.charCodeAt(i) !== 32)
    return fail('truncated: RFC 5424 message has no STRUCTURED-DATA');
  i++;
  let sd: StructuredData | null = null;
  if (line.charCodeAt(i) === 45 /* - */) i++;
  else if (line.charCodeAt(i) === 91 /* [ */) {
    const r = parseStructuredData(line, i);
    if (typeof r === 'string') return fail(r);
    sd = r.sd;
    i = r.end;
  } else return fail(`malformed RFC 5424 STRUCTURED-DATA at column ${i + 1}: expected "-" or "["`);

  let msg = '';
  if (i < len) {
    if (line.charCodeAt(i) !== 32) {
      return fail(`malformed RFC 5424 message: expected a space after STRUCTURED-DATA at column ${i + 1}`);
    }
    msg = line.slice(line.charCodeAt(i + 1) === 0xfeff ? i + 2 : i + 1);
  }
  return {
    ok: true,
    message: {
      format: 'rfc5424',
      time,
      host: nil(host),
      app: nil(app),
      pid: nil(procId),
      msg,
      facility: undefined,
      severity: undefined,
      msgId: nil(msgId),
      structuredData: sd,
    },
  };
}

/** SD-NAME: printable US-ASCII except `=`, space, `]` and `"`; 1-32 characters. */
function isSdNameChar(c: number): boolean {
  return c > 32 && c < 127 && c !== 61 && c !== 93 && c !== 34;
}

function parseStructuredData(line: string, i: number): { sd: StructuredData; end: number } | string {
  const sd: StructuredData = {};
  const len = line.length;
  const bad = (what: string, at: number) => `malformed RFC 5424 STRUCTURED-DATA at column ${at + 1}: ${what}`;
  while (i < len && line.charCodeAt(i) === 91 /* [ */) {
    i++;
    let s = i;
    while (i < len && isSdNameChar(line.charCodeAt(i))) i++;
    if (i === s || i - s > 32) return bad('invalid SD-ID', s);
    const id = line.slice(s, i);
    const params: Record<string, string> = sd[id] ?? {};
    sd[id] = params;
    for (;;) {
      if (i >= len) return bad('unterminated SD-ELEMENT (missing "]")', i);
      const c = line.charCodeAt(i);
      if (c === 93 /* ] */) {
        i++;
        break;
      }
      if (c !== 32) return bad('expected " " or "]"', i);
      i++;
      s = i;
      while (i < len && isSdNameChar(line.charCodeAt(i))) i++;
      if (i === s || i - s > 32) return bad('invalid PARAM-NAME', s);
      const name = line.slice(s, i);
      if (line.charCodeAt(i) !== 61 || line.charCodeAt(i + 1) !== 34)
        return bad('expected =" after PARAM-NAME', i);
      i += 2;
      let value = '';
      s = i;
      for (;;) {
        if (i >= len) return bad('unterminated PARAM-VALUE (missing closing quote)', s);
        const v = line.charCodeAt(i);
        if (v === 34) break;
        if (v === 92 /* \ */ && i + 1 < len) {
          const n = line.charCodeAt(i + 1);
          // Only \" \\ \] are escapes; any other backslash is kept as is (RFC 5424 section 6.3.3).
          if (n === 34 || n === 92 || n === 93) {
            value += line.slice(s, i);
            s = i + 1;
            i += 2;
            continue;
          }
        }
        i++;
      }
      value += line.slice(s, i);
      i++; // closing quote
      params[name] = value;
    }
  }
  return { sd, end: i };
}

// ---------------------------------------------------------------------------------------------
// Repeat summaries

const REPEATED_RE = /^message repeated (\d{1,9}) times: \[ ?(.*?) ?\]$/;
const PAM_MORE_RE = /^PAM (\d{1,9}) more authentication failures?;/;

/**
 * `message repeated 5 times: [ Failed password ...]` (rsyslog/syslogd duplicate suppression):
 * the inner message and the count of occurrences the line stands for; null for other messages.
 */
export function unwrapRepeated(msg: string): { count: number; msg: string } | null {
  if (!msg.startsWith('message repeated ')) return null;
  const m = REPEATED_RE.exec(msg);
  return m === null ? null : { count: +m[1]!, msg: m[2]! };
}

/**
 * How many occurrences of its event a message stands for: N for `message repeated N times: [...]`
 * and for pam_unix's `PAM N more authentication failures; ...` summary, 1 otherwise. Parsers emit
 * one event per line; ingest and detection can weight by this.
 */
export function syslogRepeatCount(msg: string): number {
  const r = unwrapRepeated(msg);
  if (r !== null) return r.count;
  if (msg.startsWith('PAM ')) {
    const m = PAM_MORE_RE.exec(msg);
    if (m !== null) return +m[1]!;
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Framing for syslog over TCP (RFC 6587) and TLS (RFC 5425).

export class SyslogFrameError extends Error {
  override name = 'SyslogFrameError';
  /** Messages completed earlier in the same chunk: good frames before the bad one are not lost. */
  completed: string[] = [];
}

export interface SyslogFramerOptions {
  /** Largest message accepted, in bytes (default 64 KiB). Larger frames raise SyslogFrameError. */
  maxMessageBytes?: number;
}

// Framer states.
const IDLE = 0;
const HEADER = 1;
const OCTET = 2;
const LINE = 3;

const DEFAULT_MAX = 65_536;
const utf8Encoder = new TextEncoder();

/**
 * Incremental splitter of a syslog byte stream into messages. Each frame is detected on its own
 * (RFC 6587 section 3.4): one starting with a digit 1-9 followed by digits and a space is
 * octet-counted (`MSG-LEN SP MSG`, MSG-LEN in bytes); anything else is non-transparent framing,
 * ending at LF, CRLF or NUL. Blank frames are skipped. A frame over `maxMessageBytes` raises a
 * SyslogFrameError and the framer refuses further input (the stream position is lost: close the
 * connection). Memory held is bounded by `maxMessageBytes`.
 */
export class SyslogFramer {
  readonly maxMessageBytes: number;
  private mode = IDLE;
  private parts: Uint8Array[] = [];
  private partsLen = 0;
  /** Index in `parts` of a view into the chunk being pushed (copied before push returns). */
  private viewIdx = -1;
  private headerValue = 0;
  private headerDigits: number[] = [];
  private expected = 0;
  private failed: SyslogFrameError | null = null;
  private readonly maxHeaderDigits: number;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(options: SyslogFramerOptions = {}) {
    const max = options.maxMessageBytes ?? DEFAULT_MAX;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxMessageBytes must be a positive integer');
    this.maxMessageBytes = max;
    // Enough digits to recognise (and refuse) an oversize length; longer digit runs are text.
    this.maxHeaderDigits = String(max).length + 3;
  }

  /** Feed bytes (a string is taken as UTF-8); returns the messages completed by this chunk. */
  push(chunk: Uint8Array | string): string[] {
    if (this.failed !== null) throw this.failed;
    const bytes = typeof chunk === 'string' ? utf8Encoder.encode(chunk) : chunk;
    const out: string[] = [];
    try {
      return this.pushInto(bytes, out);
    } catch (e) {
      if (e instanceof SyslogFrameError) e.completed = out;
      throw e;
    }
  }

  private pushInto(bytes: Uint8Array, out: string[]): string[] {
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      if (this.mode === IDLE) {
        const c = bytes[i]!;
        if (c === 10 || c === 13 || c === 0) {
          i++; // empty frame or stray delimiter
        } else if (c >= 49 && c <= 57) {
          this.mode = HEADER;
          this.headerValue = 0;
          this.headerDigits.length = 0;
        } else {
          this.mode = LINE;
        }
      } else if (this.mode === HEADER) {
        const c = bytes[i]!;
        if (c >= 48 && c <= 57 && this.headerDigits.length < this.maxHeaderDigits) {
          this.headerDigits.push(c);
          this.headerValue = this.headerValue * 10 + (c - 48);
          i++;
        } else if (c === 32) {
          i++;
          if (this.headerValue > this.maxMessageBytes) {
            this.fail(
              `octet-counted frame of ${this.headerValue} bytes exceeds the maximum of ${this.maxMessageBytes}`,
            );
          }
          this.mode = OCTET;
          this.expected = this.headerValue;
        } else {
          // Not a MSG-LEN: the digits begin a newline-framed message (e.g. an ISO timestamp).
          this.parts.push(Uint8Array.from(this.headerDigits));
          this.partsLen = this.headerDigits.length;
          this.mode = LINE;
        }
      } else if (this.mode === OCTET) {
        const take = Math.min(this.expected - this.partsLen, n - i);
        this.addView(bytes, i, i + take);
        i += take;
        if (this.partsLen === this.expected) out.push(this.take(false));
      } else {
        let j = i;
        while (j < n) {
          const c = bytes[j]!;
          if (c === 10 || c === 0) break;
          j++;
        }
        // +1: a CR before the LF is not part of the message.
        if (this.partsLen + (j - i) > this.maxMessageBytes + 1) this.failOversizeLine();
        this.addView(bytes, i, j);
        if (j === n) i = n;
        else {
          i = j + 1;
          const msg = this.take(true);
          if (msg !== '') out.push(msg);
        }
      }
    }
    // Keep no view into the caller's buffer past this call: it may be reused.
    if (this.viewIdx >= 0) {
      this.parts[this.viewIdx] = new Uint8Array(this.parts[this.viewIdx]!);
      this.viewIdx = -1;
    }
    return out;
  }

  /**
   * The stream ended: returns a final message that had no trailing delimiter. Raises
   * SyslogFrameError when an octet-counted frame (or its header) was cut short.
   */
  end(): string[] {
    if (this.failed !== null) throw this.failed;
    if (this.mode === OCTET || this.mode === HEADER) {
      const got = this.mode === OCTET ? `${this.partsLen} of ${this.expected} bytes` : 'only a length';
      this.fail(`stream ended inside an octet-counted frame (${got})`);
    }
    if (this.mode === LINE) {
      const msg = this.take(true);
      return msg === '' ? [] : [msg];
    }
    return [];
  }

  /** Bytes buffered for the incomplete current frame (bounded by maxMessageBytes + 1). */
  get pendingBytes(): number {
    return this.partsLen;
  }

  private addView(bytes: Uint8Array, from: number, to: number): void {
    if (to === from) return;
    this.viewIdx = this.parts.length;
    this.parts.push(bytes.subarray(from, to));
    this.partsLen += to - from;
  }

  private failOversizeLine(): never {
    this.fail(`message exceeds the maximum of ${this.maxMessageBytes} bytes without a delimiter`);
  }

  private fail(message: string): never {
    this.failed = new SyslogFrameError(message);
    this.parts = [];
    this.partsLen = 0;
    this.viewIdx = -1;
    throw this.failed;
  }

  /** Decode and clear the current frame; a line frame loses one trailing CR. */
  private take(line: boolean): string {
    let bytes: Uint8Array;
    if (this.parts.length === 1) bytes = this.parts[0]!;
    else {
      bytes = new Uint8Array(this.partsLen);
      let o = 0;
      for (const p of this.parts) {
        bytes.set(p, o);
        o += p.length;
      }
    }
    let len = bytes.length;
    if (line && len > 0 && bytes[len - 1] === 13) len--;
    if (len > this.maxMessageBytes) this.failOversizeLine();
    this.parts = [];
    this.partsLen = 0;
    this.viewIdx = -1;
    this.mode = IDLE;
    return len === 0 ? '' : this.decoder.decode(len === bytes.length ? bytes : bytes.subarray(0, len));
  }
}

/**
 * Split a buffer of RFC 6587 octet-counted frames (`MSG-LEN SP MSG ...`, as in RFC 5425) into
 * messages; `rest` is the incomplete tail (empty when the buffer ends on a frame boundary).
 * Raises SyslogFrameError on a malformed MSG-LEN or a frame over `maxMessageBytes`.
 */
export function splitOctetCounted(
  buffer: Uint8Array,
  maxMessageBytes = DEFAULT_MAX,
): { messages: string[]; rest: Uint8Array } {
  const decoder = new TextDecoder('utf-8');
  const messages: string[] = [];
  const n = buffer.length;
  let i = 0;
  while (i < n) {
    const start = i;
    let len = 0;
    let digits = 0;
    while (i < n) {
      const c = buffer[i]!;
      if (c < 48 || c > 57) break;
      if (digits === 0 && c === 48) throw new SyslogFrameError(`MSG-LEN at byte ${start} starts with 0`);
      len = len * 10 + (c - 48);
      digits++;
      if (len > maxMessageBytes) {
        throw new SyslogFrameError(`octet-counted frame at byte ${start} exceeds ${maxMessageBytes} bytes`);
      }
      i++;
    }
    if (i === n) return { messages, rest: buffer.subarray(start) };
    if (digits === 0 || buffer[i] !== 32) {
      throw new SyslogFrameError(
        `malformed octet-counted frame at byte ${start}: expected MSG-LEN and a space`,
      );
    }
    i++;
    if (i + len > n) return { messages, rest: buffer.subarray(start) };
    messages.push(decoder.decode(buffer.subarray(i, i + len)));
    i += len;
  }
  return { messages, rest: buffer.subarray(n) };
}
