/**
 * ArcSight Common Event Format (CEF) line reader.
 *
 *   [syslog prefix] CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
 *
 * Header fields: `\|` is a literal pipe and `\\` a literal backslash; any other backslash is kept as it is.
 * Extension: space-separated `key=value` pairs where a value runs until the next ` key=`; in values `\=` is a
 * literal equals sign, `\\` a backslash, `\n` / `\r` a newline / carriage return. Pipes need no escaping in
 * the extension (a `\|` is still read as a pipe). An unescaped `=` that is not preceded by a valid key (a URL
 * query string, say) is kept as part of the current value, as ArcSight connectors do.
 *
 * Anything before `CEF:` (a syslog PRI, timestamp and host) is returned as `prefix` and not interpreted.
 */

export interface CefRecord {
  /** Text before `CEF:`, usually a syslog header; '' when the line starts with `CEF:`. */
  prefix: string;
  version: number;
  deviceVendor: string;
  deviceProduct: string;
  deviceVersion: string;
  /** Device Event Class ID (signature id). */
  classId: string;
  name: string;
  severity: string;
  /** Extension keys in order of appearance, values unescaped; a repeated key keeps its last value. */
  extension: Map<string, string>;
}

export type CefParseResult = { ok: true; record: CefRecord } | { ok: false; error: string };

const SUPPORTED_VERSIONS = new Set([0, 1]);
const VERSION_RE = /^\d{1,3}$/;
/** Extension keys: CEF short names (src, cs1Label), full names (sourceAddress) and vendor keys (ad.foo). */
const KEY_RE = /^[A-Za-z0-9_][A-Za-z0-9_.[\]-]*$/;

const HEADER_FIELDS = 7; // Version .. Severity

function unescapeHeader(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const n = s[i + 1];
    if (c === '\\' && (n === '|' || n === '\\')) {
      out += n;
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

function unescapeValue(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\' || i + 1 === s.length) {
      out += c;
      continue;
    }
    const n = s[i + 1];
    if (n === '=' || n === '\\' || n === '|') out += n;
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else {
      out += c;
      continue; // unknown escape: keep the backslash, read the next character normally
    }
    i++;
  }
  return out;
}

/** Parses the extension part of a CEF line into a key → value map. */
export function parseCefExtension(ext: string): Map<string, string> {
  const out = new Map<string, string>();
  // Positions of unescaped '=' that follow a valid key: [keyStart, equalsIndex].
  const keys: Array<[number, number]> = [];
  let segmentStart = 0; // where the current candidate key may start (after the last space or '=')
  for (let i = 0; i < ext.length; i++) {
    const c = ext[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === ' ') {
      segmentStart = i + 1;
    } else if (c === '=') {
      const key = ext.slice(segmentStart, i);
      // A key is the first thing in the extension or follows a space.
      if (key !== '' && (segmentStart === 0 || ext[segmentStart - 1] === ' ') && KEY_RE.test(key)) {
        keys.push([segmentStart, i]);
      }
      segmentStart = i + 1;
    }
  }
  for (let k = 0; k < keys.length; k++) {
    const [start, eq] = keys[k]!;
    const end = k + 1 < keys.length ? keys[k + 1]![0] - 1 : ext.length;
    // Separator spaces (and trailing blanks at the end of the line) are not part of the value.
    let j = Math.max(end, eq + 1);
    while (j > eq + 1 && (ext[j - 1] === ' ' || ext[j - 1] === '\t')) j--;
    out.set(ext.slice(start, eq), unescapeValue(ext.slice(eq + 1, j)));
  }
  return out;
}

/** Parses one CEF line. Rejects lines without `CEF:`, with a bad version or fewer than seven header fields. */
export function parseCef(line: string): CefParseResult {
  let end = line.length;
  while (end > 0 && (line[end - 1] === '\n' || line[end - 1] === '\r')) end--;
  const at = line.indexOf('CEF:');
  if (at < 0 || at >= end) return { ok: false, error: 'not a CEF record: no "CEF:" header' };

  // Split the header on unescaped pipes; the seventh pipe starts the extension.
  const fields: string[] = [];
  let fieldStart = at + 4;
  let extStart = -1;
  for (let i = fieldStart; i < end; i++) {
    const c = line[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '|') {
      fields.push(line.slice(fieldStart, i));
      fieldStart = i + 1;
      if (fields.length === HEADER_FIELDS) {
        extStart = i + 1;
        break;
      }
    }
  }
  if (extStart < 0) {
    // No pipe after Severity: accept seven fields with an empty extension, reject anything shorter.
    fields.push(line.slice(fieldStart, end));
    if (fields.length < HEADER_FIELDS) {
      return {
        ok: false,
        error: `truncated CEF header: ${fields.length} of ${HEADER_FIELDS} fields (Version|Vendor|Product|Version|Class ID|Name|Severity)`,
      };
    }
  }

  const severity = unescapeHeader(fields[6]!).trim();
  if (severity === '') return { ok: false, error: 'truncated CEF header: empty Severity' };
  const versionText = fields[0]!.trim();
  if (!VERSION_RE.test(versionText)) {
    return { ok: false, error: `invalid CEF version ${JSON.stringify(versionText.slice(0, 16))}` };
  }
  const version = Number(versionText);
  if (!SUPPORTED_VERSIONS.has(version)) return { ok: false, error: `unsupported CEF version ${version}` };

  return {
    ok: true,
    record: {
      prefix: line.slice(0, at).trim(),
      version,
      deviceVendor: unescapeHeader(fields[1]!),
      deviceProduct: unescapeHeader(fields[2]!),
      deviceVersion: unescapeHeader(fields[3]!),
      classId: unescapeHeader(fields[4]!),
      name: unescapeHeader(fields[5]!),
      severity,
      extension: extStart < 0 ? new Map() : parseCefExtension(line.slice(extStart, end)),
    },
  };
}
