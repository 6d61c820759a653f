import { StringDecoder } from 'node:string_decoder';
import { AppError } from '../../platform/errors.ts';

/**
 * A streaming RFC 4180 CSV reader: records are produced as the chunks arrive, so a large file is
 * never held as one string. Quoted fields may hold commas, doubled quotes and line breaks; LF and
 * CRLF both end a record; a UTF-8 BOM is skipped; blank lines are skipped. Each record carries the
 * line it starts on (1 = the header), which is what rejections quote.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
}

const MAX_FIELD = 64 * 1024;

export async function* readCsv(chunks: AsyncIterable<Buffer>): AsyncGenerator<CsvRecord> {
  const decoder = new StringDecoder('utf8');
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // a quote inside a quoted field: closing, or the first of a doubled quote
  let line = 1;
  let start = 1;
  let first = true;
  let any = false; // the current record has content

  const endField = () => {
    fields.push(field);
    field = '';
  };
  const endRecord = (): CsvRecord | null => {
    endField();
    const r = any || fields.length > 1 || fields[0] !== '' ? { line: start, fields } : null;
    fields = [];
    any = false;
    return r;
  };

  const consume = function* (text: string): Generator<CsvRecord> {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (first) {
        first = false;
        if (ch === '\uFEFF') continue;
      }
      if (afterQuote) {
        afterQuote = false;
        if (ch === '"') {
          field += '"';
          continue;
        }
        quoted = false; // the quote closed the field; handle ch normally below
      }
      if (quoted) {
        if (ch === '"') afterQuote = true;
        else {
          if (ch === '\n') line++;
          field += ch;
        }
      } else if (ch === '"' && field === '') {
        quoted = true;
        any = true;
      } else if (ch === ',') {
        any = true;
        endField();
      } else if (ch === '\n') {
        line++;
        const r = endRecord();
        if (r) yield r;
        start = line;
        continue;
      } else if (ch === '\r') {
        continue; // CRLF: the LF ends the record
      } else {
        if (ch !== ' ' && ch !== '\t') any = true;
        field += ch;
      }
      if (field.length > MAX_FIELD)
        throw new AppError('bad_request', `line ${start}: a field is longer than ${MAX_FIELD} characters`);
    }
  };

  for await (const chunk of chunks) yield* consume(decoder.write(chunk));
  yield* consume(decoder.end());
  if (quoted && !afterQuote)
    throw new AppError(
      'bad_request',
      `line ${start}: a quoted field is not closed before the end of the file`,
    );
  const last = endRecord();
  if (last) yield last;
}

/** A documented CSV column and the header spellings it accepts. */
export interface Column {
  name: string;
  aliases?: string[];
  required?: boolean;
}

/** A header or field name compared as snake_case: "First Seen", "first-seen", "firstSeen" are one. */
export const normKey = (h: string) =>
  h
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[\s\-.]+/g, '_');

/**
 * Maps the header row to the documented columns (names compare without case; spaces, hyphens and
 * dots count as underscores). A missing required column refuses the whole file.
 */
export function mapHeader(header: string[], columns: Column[], what: string): Map<string, number> {
  const at = new Map<string, number>();
  header.forEach((h, i) => {
    const n = normKey(h);
    const col = columns.find((c) => c.name === n || c.aliases?.includes(n));
    if (col && !at.has(col.name)) at.set(col.name, i);
  });
  const missing = columns.filter((c) => c.required && !at.has(c.name)).map((c) => c.name);
  if (missing.length)
    throw new AppError(
      'bad_request',
      `the ${what} CSV header lacks ${missing.join(', ')}; expected columns: ${columns.map((c) => c.name).join(', ')} (docs/imports.md)`,
    );
  return at;
}

/** Reads the CSV header from a record stream, then yields the data rows as column -> value. */
export async function* csvRows(
  records: AsyncIterable<CsvRecord>,
  columns: Column[],
  what: string,
): AsyncGenerator<{ line: number; get: (name: string) => string }> {
  let at: Map<string, number> | null = null;
  for await (const r of records) {
    if (!at) {
      at = mapHeader(r.fields, columns, what);
      continue;
    }
    const cols = at;
    yield { line: r.line, get: (name) => (cols.has(name) ? (r.fields[cols.get(name)!] ?? '').trim() : '') };
  }
  if (!at) throw new AppError('bad_request', `the ${what} file is empty: it has no CSV header`);
}
