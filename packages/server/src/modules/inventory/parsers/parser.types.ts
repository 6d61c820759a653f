import type { ZodType } from 'zod';
import { MAX_LISTED_REJECTIONS, type Rejection } from '@accord/contracts';
import { AppError } from '../../../platform/errors.ts';
import { csvRows, normKey, readCsv, type Column } from '../csv.ts';
import type { Upload } from '../upload.ts';
import { readJson } from '../upload.ts';
import { RowError, zodReason } from '../values.ts';

/** What a parser makes of a file: items keyed by their natural key, and the rows it rejected. */
export interface Parsed<T = unknown> {
  format: string;
  mode: 'replace' | 'merge';
  items: Map<string, T>;
  rejections: Rejection[];
  rejected: number;
  /** Rows of the file accepted, when not every item came from the file (a merge). */
  accepted?: number;
}

/** A row of a CSV file or an element of a JSON array, read by documented column name. */
export interface Row {
  line: number;
  get: (column: string) => unknown;
}

/** Collects validated items; a bad row becomes a rejection with its line and reason. */
export class Collector<T> {
  readonly items = new Map<string, T>();
  private readonly lines = new Map<string, number>();
  readonly rejections: Rejection[] = [];
  rejected = 0;
  constructor(private readonly schema: ZodType<T>) {}

  reject(line: number, reason: string): void {
    this.rejected++;
    if (this.rejections.length < MAX_LISTED_REJECTIONS) this.rejections.push({ line, reason });
  }

  /** Builds one item; RowError and schema failures reject the row, other errors propagate. */
  add(line: number, build: () => { key: string; data: unknown }): void {
    let built: { key: string; data: unknown };
    try {
      built = build();
    } catch (e) {
      if (e instanceof RowError) return this.reject(line, e.message);
      throw e;
    }
    const r = this.schema.safeParse(built.data);
    if (!r.success) return this.reject(line, zodReason(r.error));
    const first = this.lines.get(built.key);
    if (first !== undefined) return this.reject(line, `duplicate of line ${first} (${built.key})`);
    this.lines.set(built.key, line);
    this.items.set(built.key, r.data);
  }

  result(format: string, mode: 'replace' | 'merge' = 'replace'): Parsed<T> {
    return { format, mode, items: this.items, rejections: this.rejections, rejected: this.rejected };
  }
}

/** The elements of a JSON document that is an array, or an object holding one under `keys`. */
export function jsonArray(doc: unknown, keys: string[], what: string): unknown[] {
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === 'object')
    for (const k of keys) {
      const v = (doc as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v;
    }
  throw new AppError(
    'bad_request',
    `the ${what} JSON must be an array of records or an object with ${keys.map((k) => `"${k}"`).join(' or ')} holding one`,
  );
}

/** JSON records read through the same documented columns as the CSV (camelCase names accepted). */
export function* jsonRows(items: unknown[], columns: Column[]): Generator<Row> {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const byName = new Map<string, unknown>();
    if (item && typeof item === 'object' && !Array.isArray(item))
      for (const [k, v] of Object.entries(item)) {
        const n = normKey(k);
        const col = columns.find((c) => c.name === n || c.aliases?.includes(n));
        if (col && !byName.has(col.name)) byName.set(col.name, v);
      }
    const ok = byName.size > 0;
    yield {
      line: i + 1,
      get: (c) => {
        if (!ok) throw new RowError('the record is not an object with the documented fields');
        return byName.get(c) ?? null;
      },
    };
  }
}

/** Rows of a tabular kind (CSV, or JSON with the same fields), whichever the upload is. */
export async function* tabularRows(
  upload: Upload,
  type: 'csv' | 'json',
  columns: Column[],
  what: string,
  jsonKeys: string[],
): AsyncGenerator<Row> {
  if (type === 'json') {
    yield* jsonRows(jsonArray(await readJson(upload), jsonKeys, what), columns);
    return;
  }
  yield* csvRows(readCsv(upload.chunks), columns, what);
}
