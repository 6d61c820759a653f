import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createGunzip, gzip } from 'node:zlib';
import { CliError } from './cli-runtime.ts';

/**
 * `accord ingest`: streams a log file (never held whole in memory) to POST /api/v1/ingest in batches
 * of whole lines, in order. After each acknowledged batch, `<file>.accord-ingest.json` records where
 * the next unsent line starts, so a re-run after a crash or Ctrl-C resumes there and never sends an
 * acknowledged line again; the file's size, mtime and SHA-256 of its first 64 KiB are kept too, and a
 * changed file is refused unless --restart. A batch whose answer never arrived (killed or cut off in
 * flight) may have been stored anyway: the server has no idempotency key, so that one batch can be
 * stored twice. Ctrl-C (or SIGTERM) therefore waits for the batch in flight; a second one quits now.
 */
const HEAD_BYTES = 64 * 1024;
const LISTED_REJECTIONS = 20;
const MAX_ATTEMPTS = 8; // back-off of about 0.5, 1, 2, 4, 8, 16, 30 s: some 60 s in all

interface Checkpoint {
  file: string;
  sourceId: string;
  size: number;
  mtimeMs: number;
  headSha256: string;
  /** Where the next unsent line starts: byte offset (in the decompressed text of a gzip file) and number. */
  offset: number;
  line: number;
  accepted: number;
  rejected: number;
  batches: number;
  done: boolean;
}

interface IngestAnswer {
  accepted: number;
  rejected: { line: number; reason: string }[];
  rejectedTotal: number;
}

export interface IngestOptions {
  url: string;
  token: string;
  maxLines: number;
  maxBytes: number;
  gzip: boolean;
  format: 'lines' | 'ndjson';
  checkpoint?: string | undefined;
  restart: boolean;
}

/** The server's base URL from --url (which may also name the ingest endpoint itself). */
export function serverUrl(url: string): string {
  if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url))
    throw new CliError(`--url must be an http:// or https:// URL, not ${JSON.stringify(url)}`, 2);
  return url.replace(/\/+$/, '').replace(/\/api\/v1\/ingest$/, '');
}
const mib = (n: number) => (n / 1024 ** 2).toFixed(1);
const noop = () => {};

/** A size such as 4MiB, 512KiB, 1MB or 65536 (bytes), from 1 KiB to 1 GiB. */
export function parseSize(value: string, option: string): number {
  const units: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, kb: 1e3, m: 1024 ** 2 };
  Object.assign(units, { mib: 1024 ** 2, mb: 1e6, g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9 });
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const n = m ? Math.floor(Number(m[1]) * (units[m[2]!.toLowerCase()] ?? NaN)) : NaN;
  if (n >= 1024 && n <= 1024 ** 3) return n;
  throw new CliError(
    `${option} must be a size from 1KiB to 1GiB such as 4MiB, not ${JSON.stringify(value)}`,
    2,
  );
}

async function fingerprint(file: string) {
  const fh = await fs.promises.open(file, 'r').catch((e: Error) => Promise.reject(new CliError(e.message)));
  try {
    const st = await fh.stat();
    const head = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
    await fh.read(head, 0, head.length, 0);
    const headSha256 = createHash('sha256').update(head).digest('hex');
    return { size: st.size, mtimeMs: st.mtimeMs, headSha256, gzip: head[0] === 0x1f && head[1] === 0x8b };
  } finally {
    await fh.close();
  }
}

/** Written to a temporary file, flushed, then renamed over: a crash leaves the old one or the new. */
async function saveCheckpoint(where: string, cp: Checkpoint): Promise<void> {
  const fh = await fs.promises.open(`${where}.tmp`, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify({ ...cp, updatedAt: new Date().toISOString() }, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(`${where}.tmp`, where);
}

/** The saved checkpoint if it is for this very file and source; throws if it is not. */
function loadCheckpoint(where: string, fresh: Checkpoint): Checkpoint {
  const redo = 'use --restart to send it all again (lines already sent would be stored twice)';
  let cp: Checkpoint;
  try {
    cp = JSON.parse(fs.readFileSync(where, 'utf8')) as Checkpoint;
  } catch (e) {
    throw new CliError(`${where} is not a readable checkpoint (${(e as Error).message}): ${redo}`);
  }
  if (cp.size !== fresh.size || cp.mtimeMs !== fresh.mtimeMs || cp.headSha256 !== fresh.headSha256)
    throw new CliError(`${fresh.file} changed since ${where} was written; refusing to resume: ${redo}`);
  if (cp.sourceId !== fresh.sourceId)
    throw new CliError(`${where} is for log source ${cp.sourceId}, not ${fresh.sourceId}: ${redo}`);
  return cp;
}

/** Splits a byte stream into batches of whole lines, never more than maxLines or maxBytes each. */
async function* batchesOf(input: AsyncIterable<Buffer>, maxLines: number, maxBytes: number, lineNo: number) {
  let parts: Buffer[] = [];
  let bytes = 0;
  let lines = 0;
  let tail: Buffer[] = []; // the line being read, whose newline has not come yet
  let tailBytes = 0;
  const tooLong = () => new CliError(`line ${lineNo} is longer than --batch-bytes (${maxBytes} bytes)`);
  const flush = () => {
    const batch = { body: Buffer.concat(parts, bytes), lines };
    [parts, bytes, lines] = [[], 0, 0];
    return batch;
  };
  function* take(line: Buffer[], len: number) {
    if (len > maxBytes) throw tooLong();
    if (bytes + len > maxBytes) yield flush();
    parts.push(...line);
    [bytes, lines, lineNo] = [bytes + len, lines + 1, lineNo + 1];
    if (lines >= maxLines) yield flush();
  }
  for await (const chunk of input) {
    let pos = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, pos)) {
      tail.push(chunk.subarray(pos, nl + 1));
      yield* take(tail, tailBytes + nl + 1 - pos);
      [tail, tailBytes, pos] = [[], 0, nl + 1];
    }
    if (pos < chunk.length) {
      tail.push(chunk.subarray(pos));
      if ((tailBytes += chunk.length - pos) > maxBytes) throw tooLong();
    }
  }
  if (tailBytes > 0) yield* take(tail, tailBytes); // a last line without a newline
  if (lines > 0) yield flush();
}

async function* skipBytes(input: AsyncIterable<Buffer>, skip: number) {
  for await (const chunk of input) {
    if (skip < chunk.length) yield skip > 0 ? chunk.subarray(skip) : chunk;
    skip = Math.max(0, skip - chunk.length);
  }
}

/** A progress line redrawn in place on a terminal; a plain line every 5 s otherwise. */
class Progress {
  private last = 0;
  private shown = false;
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(private readonly render: () => string) {}
  tick(force = false) {
    if (!force && Date.now() - this.last < (this.tty ? 200 : 5000)) return;
    this.last = Date.now();
    this.shown = this.tty;
    process.stderr.write(this.tty ? `\r${this.render()}\x1b[K` : `${this.render()}\n`);
  }
  /** A line of its own (a rejection, a retry) that does not garble the progress line. */
  note = (text: string) => {
    process.stderr.write(`${this.shown ? '\r\x1b[K' : ''}${text}\n`);
    this.shown = false;
  };
  end() {
    if (this.shown) process.stderr.write('\n');
  }
}

/** The server's `code: message` from an error answer. */
export async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e?.message) return `${e.code ?? res.status}: ${e.message}`;
  } catch {
    /* not JSON */
  }
  return text.trim().slice(0, 300) || res.statusText;
}

/** fetch, retrying 429, 5xx and network errors with bounded exponential back-off. */
export async function request(url: string, init: RequestInit, note: (s: string) => void, stop?: AbortSignal) {
  for (let attempt = 1; ; attempt++) {
    let problem: string;
    let retryAfter = 0;
    try {
      const res = await fetch(url, init);
      if (res.status !== 429 && res.status < 500) return res;
      retryAfter = Number(res.headers.get('retry-after')) * 1000 || 0;
      problem = `${res.status} ${await errorText(res)}`;
    } catch (e) {
      problem = ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
    }
    if (attempt >= MAX_ATTEMPTS)
      throw new CliError(`${url}: giving up after ${attempt} attempts: ${problem}`);
    const wait = Math.min(30_000, retryAfter || 500 * 2 ** (attempt - 1) * (0.75 + Math.random() / 4));
    note(`${problem}; retrying in ${(wait / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
    await sleep(wait, undefined, { signal: stop }).catch(() => {
      throw new CliError('interrupted; run the same command again to resume', 130);
    });
  }
}

export async function ingestFile(file: string, o: IngestOptions): Promise<void> {
  const sourceId = /^acs_([0-9a-f-]{36})_/.exec(o.token)?.[1];
  if (!sourceId)
    throw new CliError('--token (or ACCORD_INGEST_TOKEN) must be a source ingest token acs_...', 2);
  const url = `${serverUrl(o.url)}/api/v1/ingest`;
  const label = file === '-' ? '<stdin>' : file;
  const cpFile = file === '-' ? null : (o.checkpoint ?? `${file}.accord-ingest.json`);
  const fp = file === '-' ? null : await fingerprint(file);
  const { size = 0, mtimeMs = 0, headSha256 = '' } = fp ?? {};
  const fresh = { file, sourceId, size, mtimeMs, headSha256, offset: 0, line: 1, accepted: 0, rejected: 0 };
  let cp: Checkpoint = { ...fresh, batches: 0, done: false };
  if (cpFile && !o.restart && fs.existsSync(cpFile)) {
    cp = loadCheckpoint(cpFile, cp);
    process.stderr.write(
      cp.done
        ? `${file} was sent completely already (${cpFile}); nothing to do\n`
        : `resuming ${file} at line ${cp.line} (byte ${cp.offset}) from ${cpFile}\n`,
    );
  }
  const summary = () => `${cp.accepted} accepted, ${cp.rejected} rejected (kept in quarantine)\n`;
  if (cp.done) return void process.stdout.write(summary());
  if (cpFile) await saveCheckpoint(cpFile, cp); // if it cannot be written, nothing is sent

  const raw = file === '-' ? process.stdin : fs.createReadStream(file, { start: fp!.gzip ? 0 : cp.offset });
  // pipeline hands a read error on to the gunzip stream, so that the loop below sees it.
  const text = fp?.gzip ? skipBytes(pipeline(raw, createGunzip(), noop), cp.offset) : raw;
  const started = Date.now();
  const run = { accepted: 0, rejected: 0, listed: 0 };
  const progress = new Progress(() => {
    const done = fp?.gzip ? (raw as fs.ReadStream).bytesRead : cp.offset;
    const total = fp ? ` / ${mib(fp.size)} MiB (${Math.floor((done / (fp.size || 1)) * 100)}%)` : ' MiB';
    const rate = Math.round(run.accepted / Math.max(0.001, (Date.now() - started) / 1000));
    return `${label}: ${mib(done)}${total}, ${cp.line - 1} lines, ${rate} events/s`;
  });
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    progress.note('stopping once the batch in flight is acknowledged (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const headers: Record<string, string> = {
    authorization: `Bearer ${o.token}`,
    'content-type': o.format === 'ndjson' ? 'application/x-ndjson' : 'text/plain; charset=utf-8',
    ...(o.gzip ? { 'content-encoding': 'gzip' } : {}),
  };
  try {
    for await (const b of batchesOf(text, o.maxLines, o.maxBytes, cp.line)) {
      const body = o.gzip ? await promisify(gzip)(b.body) : b.body;
      // The batch's name: the file's identity and the batch's place in it. Re-sent after a lost
      // answer (a crash with the batch in flight), the server recognises it and stores nothing twice.
      const key = fp
        ? createHash('sha256')
            .update(`${fp.size}:${fp.mtimeMs}:${fp.headSha256}:${cp.offset}:${b.body.length}`)
            .digest('hex')
        : null;
      const init = { method: 'POST', headers: key ? { ...headers, 'idempotency-key': key } : headers, body };
      const res = await request(url, init, progress.note, stop.signal);
      const where = `lines ${cp.line}-${cp.line + b.lines - 1} of ${label}`;
      const hint = res.status === 413 ? '; lower --batch-bytes' : '';
      if (!res.ok) throw new CliError(`the server refused ${where}: ${await errorText(res)}${hint}`);
      const r = (await res.json().catch(() => ({}))) as Partial<IngestAnswer>;
      if (typeof r.accepted !== 'number' || typeof r.rejectedTotal !== 'number' || !Array.isArray(r.rejected))
        throw new CliError(`${url} answered ${where} with no ingest result`);
      // The server numbers the lines of the batch from 1: in the file they start at cp.line.
      for (const x of r.rejected.slice(0, LISTED_REJECTIONS - run.listed))
        progress.note(`${label}:${cp.line + x.line - 1}: ${x.reason}`);
      run.listed = Math.min(LISTED_REJECTIONS, run.listed + r.rejected.length);
      run.accepted += r.accepted;
      run.rejected += r.rejectedTotal;
      cp = {
        ...cp,
        offset: cp.offset + b.body.length,
        line: cp.line + b.lines,
        accepted: cp.accepted + r.accepted,
        rejected: cp.rejected + r.rejectedTotal,
        batches: cp.batches + 1,
      };
      if (cpFile) await saveCheckpoint(cpFile, cp);
      progress.tick();
      if (stop.signal.aborted)
        throw new CliError(
          `interrupted before line ${cp.line} of ${label}; run the same command to resume`,
          130,
        );
    }
    cp.done = true;
    if (cpFile) await saveCheckpoint(cpFile, cp);
    progress.tick(true);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    progress.end();
  }
  if (run.rejected > run.listed)
    process.stderr.write(`${label}: ${run.rejected - run.listed} more rejected line(s), not listed\n`);
  process.stdout.write(summary());
}
