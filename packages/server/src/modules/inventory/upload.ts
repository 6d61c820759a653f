import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError } from '../../platform/errors.ts';

/**
 * An uploaded inventory file read as a stream: the transfer gzip (Content-Encoding: gzip) is
 * removed on the way, sizes are capped (as sent and decompressed), and the SHA-256 of the file is
 * computed over the decompressed bytes, so it matches `sha256sum FILE` of the file the user has.
 */
export interface Upload {
  /** The file's bytes, decompressed, in order. Iterate once. */
  chunks: AsyncIterable<Buffer>;
  /** Valid after `chunks` was read to the end. */
  digest(): { sha256: string; bytes: number };
}

export function readUpload(
  body: AsyncIterable<Buffer | string>,
  opts: { encoding?: string; maxBytes: number },
): Upload {
  const gzip = opts.encoding !== undefined && /\bgzip\b/i.test(opts.encoding);
  if (opts.encoding && !gzip && !/^\s*identity\s*$/i.test(opts.encoding))
    throw new AppError('bad_request', `unsupported Content-Encoding ${opts.encoding}: send gzip or nothing`);
  const maxDecoded = gzip ? opts.maxBytes * 8 : opts.maxBytes;
  const hash = createHash('sha256');
  let bytes = 0;
  let done = false;

  async function* sent(): AsyncGenerator<Buffer> {
    let n = 0;
    for await (const c of body) {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      n += b.length;
      if (n > opts.maxBytes)
        throw new AppError('payload_too_large', `the file is larger than ${opts.maxBytes} bytes`);
      yield b;
    }
  }

  async function* decoded(): AsyncGenerator<Buffer> {
    const source = gzip ? Readable.from(sent()).pipe(createGunzip()) : sent();
    try {
      for await (const c of source as AsyncIterable<Buffer>) {
        bytes += c.length;
        if (bytes > maxDecoded)
          throw new AppError('payload_too_large', `the decompressed file is larger than ${maxDecoded} bytes`);
        hash.update(c);
        yield c;
      }
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (gzip && (e as NodeJS.ErrnoException).code?.startsWith('Z_'))
        throw new AppError('bad_request', `the body is not valid gzip: ${(e as Error).message}`);
      throw e;
    } finally {
      if (source instanceof Readable) source.destroy();
    }
    done = true;
  }

  let digest: { sha256: string; bytes: number } | null = null;
  return {
    chunks: decoded(),
    digest() {
      if (!done) throw new Error('the upload was not read to the end');
      digest ??= { sha256: hash.digest('hex'), bytes };
      return digest;
    },
  };
}

/** The whole file as text (for JSON formats), still capped by readUpload. */
export async function readText(upload: Upload): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of upload.chunks) parts.push(c);
  return Buffer.concat(parts)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
}

/** Parses a JSON file, or refuses it whole (400) with the parser's reason. */
export async function readJson(upload: Upload): Promise<unknown> {
  const text = await readText(upload);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AppError('bad_request', `the file is not valid JSON: ${(e as Error).message}`);
  }
}
