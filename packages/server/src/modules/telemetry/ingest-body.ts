import { gunzipSync } from 'node:zlib';
import { AppError } from '../../platform/errors.ts';
import type { IngestRecord } from './ingest.service.ts';

/**
 * Turns an ingest request body into records with their line numbers:
 * - `application/x-ndjson` or `text/plain`: one record per line (LF or CRLF);
 * - `application/json`: an array, an object with a `value` array (Graph and portal exports), or one
 *   object; each element is one record, numbered from 1.
 * gzip (Content-Encoding: gzip) is accepted, with the decompressed size capped so that a small
 * compressed body cannot expand without bound.
 */
export function decodeBody(
  body: Buffer,
  contentType: string | undefined,
  encoding: string | undefined,
  maxBytes: number,
): IngestRecord[] {
  let buf = body;
  if (encoding && /\bgzip\b/i.test(encoding)) {
    try {
      buf = gunzipSync(body, { maxOutputLength: maxBytes * 8 });
    } catch (e) {
      const tooBig =
        (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ||
        /larger than/.test((e as Error).message);
      throw tooBig
        ? new AppError('payload_too_large', `the decompressed body is larger than ${maxBytes * 8} bytes`)
        : new AppError('bad_request', `the body is not valid gzip: ${(e as Error).message}`);
    }
  } else if (encoding && !/^\s*identity\s*$/i.test(encoding)) {
    throw new AppError('bad_request', `unsupported Content-Encoding ${encoding}: send gzip or nothing`);
  }
  const text = buf.toString('utf8');
  const type = (contentType ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new AppError(
        'bad_request',
        `the body is not valid JSON: ${(e as Error).message}; send application/x-ndjson to keep good records of a damaged file`,
      );
    }
    const items = Array.isArray(doc)
      ? doc
      : doc && typeof doc === 'object' && Array.isArray((doc as { value?: unknown }).value)
        ? (doc as { value: unknown[] }).value
        : [doc];
    return items.map((item, i) => ({ line: i + 1, text: JSON.stringify(item) }));
  }
  if (type !== 'application/x-ndjson' && type !== 'text/plain' && type !== 'application/ndjson') {
    throw new AppError(
      'bad_request',
      `unsupported Content-Type ${type}: send application/x-ndjson, text/plain or application/json`,
    );
  }
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l, i) => ({ line: i + 1, text: l.endsWith('\r') ? l.slice(0, -1) : l }));
}

/** Per-source token bucket: a flooding source gets 429 without slowing any other source. */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly perSecond: number) {}
  take(sourceId: string, now = Date.now()): boolean {
    const burst = this.perSecond * 2;
    const b = this.buckets.get(sourceId) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    this.buckets.set(sourceId, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
