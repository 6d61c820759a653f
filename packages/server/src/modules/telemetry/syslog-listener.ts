import dgram from 'node:dgram';
import net from 'node:net';
import type { SourceKind } from '@accord/contracts';
import { AppError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { IngestService } from './ingest.service.ts';
import { SyslogFrameError, SyslogFramer } from './parsers/syslog.ts';
import type { SourceRow, SourcesService } from './sources.service.ts';

/**
 * Syslog receivers: UDP (RFC 5426, one datagram = one message) and TCP (RFC 6587, octet-counted or
 * LF/CRLF/NUL framed, per connection). A message goes to the source whose ingest token it carries in
 * an RFC 5424 SD element `[accord@... token="acs_..."]`; any other message (RFC 3164 has no
 * structured data) goes to the listener's own source, `defaultToken`. Tokens are never read from
 * message text, where anything that can write a log line could plant one. The stored raw record is
 * the message as received, without framing or trailing CR/LF/NUL, so the source's parser sees what
 * HTTP ingest would. Messages are batched per source and sealed by the ingest service.
 */

export interface SyslogListenerOptions {
  host: string;
  /** 0 picks a free port; undefined leaves that listener off. */
  udpPort?: number;
  tcpPort?: number;
  /** Ingest token of the source that receives messages carrying no token of their own. */
  defaultToken?: string;
  /** Longest a message waits in a buffer before its batch is stored (default 200 ms). */
  flushMs?: number;
  /** Messages per batch (default 500); a source buffers at most 20 batches, the rest is dropped. */
  maxBatch?: number;
  /** Largest message accepted, in bytes (default 64 KiB). */
  maxMessageBytes?: number;
}

/**
 * Counters since start. Every message received ends up accepted (stored as an event), quarantined
 * (stored, refused by the source's parser), dropped for one of DROP_REASONS, or is still pending.
 */
export type SyslogListenerStats = Record<DropReason, number> & {
  received: number;
  accepted: number;
  quarantined: number;
  dropped: number;
  /** TCP connections closed for bad framing. */
  closedConnections: number;
  /** Buffered or being stored right now. */
  pending: number;
};

export interface SyslogListeners {
  udpPort: number | null;
  tcpPort: number | null;
  stats(): SyslogListenerStats;
  /** Stops accepting, stores everything already received, then resolves. */
  stop(): Promise<void>;
}

/**
 * noSource: no token and no default; invalidToken, disabledSource, wrongKind (a source that does not
 * take lines): refused by the source lookup; overflow: the source's buffer (or the lookup queue) was
 * full because the database is slower than the flood; oversize: over maxMessageBytes; malformed:
 * blank, a NUL inside, bad framing or unreadable STRUCTURED-DATA; failed: storing (or the token
 * lookup) failed repeatedly.
 */
const DROP_REASONS = [
  'noSource',
  'invalidToken',
  'disabledSource',
  'wrongKind',
  'overflow',
  'oversize',
  'malformed',
  'failed',
] as const;
type DropReason = (typeof DROP_REASONS)[number];
type Resolution = SourceRow | DropReason;

const LINE_KINDS: ReadonlySet<SourceKind> = new Set(['linux_syslog', 'cef', 'netfilter', 'filterlog']);
const VALID_TTL_MS = 30_000;
const INVALID_TTL_MS = 5_000;
const ERROR_TTL_MS = 1_000;
const MAX_CACHED_TOKENS = 10_000;
const BUFFERED_BATCHES = 20;
const STORE_ATTEMPTS = 5;
const WARN_EVERY_MS = 10_000;
const MAX_CONNECTIONS = 1024;

const RFC5424_HEAD = /^(?:<\d{1,3}>)?1 (?:\S+ ){5}/;
const SD_ELEMENT = /\[([^ \]"=]{1,32})((?: [^ \]"=]{1,32}="(?:[^"\\]|\\.)*")*)\]/y;
const SD_PARAM = / ([^ \]"=]{1,32})="((?:[^"\\]|\\.)*)"/g;

/**
 * The token of the first `[accord... token="..."]` element of an RFC 5424 message's STRUCTURED-DATA;
 * null when there is none (or the message is not RFC 5424); 'malformed' when the STRUCTURED-DATA
 * cannot be read, so that a message meant for one tenant never falls through to the default source.
 */
function sdToken(msg: string): string | null | 'malformed' {
  const head = RFC5424_HEAD.exec(msg);
  if (!head) return null;
  let i = head[0].length;
  if (msg[i] === '-') return null;
  let token: string | null = null;
  for (SD_ELEMENT.lastIndex = i; msg[i] === '['; i = SD_ELEMENT.lastIndex) {
    const el = SD_ELEMENT.exec(msg);
    if (!el) return 'malformed';
    if (token !== null || !el[1]!.startsWith('accord')) continue;
    for (const p of el[2]!.matchAll(SD_PARAM)) {
      if (p[1] === 'token') token = p[2]!.replace(/\\(["\\\]])/g, '$1');
    }
  }
  return i === head[0].length || (i < msg.length && msg[i] !== ' ') ? 'malformed' : token;
}

/** The message without trailing CR, LF and NUL. */
function trimEnd(msg: string): string {
  let end = msg.length;
  while (end > 0 && /[\r\n\0]/.test(msg[end - 1]!)) end--;
  return end === msg.length ? msg : msg.slice(0, end);
}

interface SourceBuffer {
  source: SourceRow;
  records: string[];
  inFlight: number;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  failures: number;
}

export async function startSyslogListeners(
  deps: { sources: SourcesService; ingest: IngestService; logger: Logger },
  opts: SyslogListenerOptions,
): Promise<SyslogListeners> {
  const { sources, ingest, logger } = deps;
  const flushMs = opts.flushMs ?? 200;
  const maxBatch = opts.maxBatch ?? 500;
  const maxBytes = opts.maxMessageBytes ?? 65_536;
  const cap = maxBatch * BUFFERED_BATCHES;
  const counts = { received: 0, accepted: 0, quarantined: 0, closedConnections: 0 };
  const reasons = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  const drop = (reason: DropReason, n = 1) => void (reasons[reason] += n);
  const warnedAt = new Map<string, number>();
  /** Warnings are rate-limited per kind and never carry message content or tokens. */
  const warn = (kind: string, fields: Record<string, unknown>, text: string) => {
    const now = Date.now();
    if (now - (warnedAt.get(kind) ?? -Infinity) < WARN_EVERY_MS) return;
    warnedAt.set(kind, now);
    logger.warn({ syslog: kind, ...fields }, text);
  };

  // --- token -> source, cached ------------------------------------------------------------
  const cache = new Map<string, { until: number; value: Resolution | Promise<Resolution> }>();
  async function authenticate(token: string): Promise<Resolution> {
    let value: Resolution;
    let ttl = INVALID_TTL_MS;
    try {
      const source = await sources.authenticateIngest(token);
      value = LINE_KINDS.has(source.kind) ? source : 'wrongKind';
      ttl = VALID_TTL_MS;
      const at = { sourceId: source.id, kind: source.kind };
      if (value === 'wrongKind') warn('wrongKind', at, 'syslog refused: source kind takes no lines');
    } catch (e) {
      const known = e instanceof AppError;
      value = !known ? 'failed' : e.code === 'forbidden' ? 'disabledSource' : 'invalidToken';
      if (!known) {
        ttl = ERROR_TTL_MS;
        logger.error({ err: e }, 'syslog: ingest token lookup failed');
      } else warn(value, {}, `syslog messages dropped: ${e.message}`);
    }
    cache.set(token, { until: Date.now() + ttl, value });
    return value;
  }
  function resolve(token: string): Resolution | Promise<Resolution> {
    const hit = cache.get(token);
    if (hit && hit.until > Date.now()) return hit.value;
    cache.delete(token);
    if (cache.size >= MAX_CACHED_TOKENS) cache.delete(cache.keys().next().value!);
    const value = authenticate(token);
    cache.set(token, { until: Date.now() + VALID_TTL_MS, value });
    return value;
  }

  // --- per-source buffers ------------------------------------------------------------------
  const buffers = new Map<string, SourceBuffer>();
  let stopping = false;

  function enqueue(source: SourceRow, text: string): void {
    let buf = buffers.get(source.id);
    if (!buf) {
      buf = { source, records: [], inFlight: 0, timer: null, running: null, failures: 0 };
      buffers.set(source.id, buf);
    }
    buf.source = source;
    if (buf.records.length >= cap) return drop('overflow');
    buf.records.push(text);
    schedule(buf);
  }

  /** A full batch is stored now, a partial one after flushMs; after a failure, with backoff. */
  function schedule(b: SourceBuffer): void {
    if (b.running || b.records.length === 0) return;
    if (b.records.length >= maxBatch && b.failures === 0) void flush(b);
    else
      b.timer ??= setTimeout(
        () => void flush(b),
        b.failures ? Math.min(Math.max(flushMs, 100) * 2 ** b.failures, 5_000) : flushMs,
      );
  }

  function flush(b: SourceBuffer): Promise<void> {
    if (b.timer) clearTimeout(b.timer);
    b.timer = null;
    if (b.running || b.records.length === 0) return b.running ?? Promise.resolve();
    const batch = b.records.splice(0, maxBatch);
    b.inFlight = batch.length;
    b.running = (async () => {
      try {
        const out = await ingest.ingest(
          b.source,
          batch.map((text, i) => ({ line: i + 1, text })),
        );
        counts.accepted += out.accepted;
        counts.quarantined += out.rejectedTotal;
        b.failures = 0;
      } catch (e) {
        b.failures++;
        logger.error({ err: e, sourceId: b.source.id, messages: batch.length }, 'syslog batch not stored');
        if (b.failures < STORE_ATTEMPTS && !stopping) {
          const room = Math.max(0, cap - b.records.length);
          b.records.unshift(...batch.slice(0, room));
          drop('overflow', batch.length - Math.min(room, batch.length));
        } else {
          drop('failed', batch.length);
          b.failures = 0;
        }
      } finally {
        b.inFlight = 0;
        b.running = null;
      }
      if (b.records.length === 0 && !b.timer) buffers.delete(b.source.id);
      else schedule(b);
    })();
    return b.running;
  }

  // --- messages ----------------------------------------------------------------------------
  const lookups = new Set<Promise<void>>();

  function receive(raw: string): void {
    counts.received++;
    const text = trimEnd(raw);
    if (text.trim() === '' || text.includes('\0')) return drop('malformed');
    const own = sdToken(text);
    if (own === 'malformed') return drop('malformed');
    const token = own ?? opts.defaultToken;
    if (!token) return drop('noSource');
    const r = resolve(token);
    if (!(r instanceof Promise)) return void (typeof r === 'string' ? drop(r) : enqueue(r, text));
    if (lookups.size >= cap) return drop('overflow');
    const p: Promise<void> = r
      .then((v) => (typeof v === 'string' ? drop(v) : enqueue(v, text)))
      .catch((e) => logger.error({ err: e }, 'syslog message lost'))
      .finally(() => lookups.delete(p));
    lookups.add(p);
  }

  // --- sockets -----------------------------------------------------------------------------
  let udp: dgram.Socket | null = null;
  let tcp: net.Server | null = null;
  const connections = new Set<net.Socket>();

  function onConnection(socket: net.Socket): void {
    connections.add(socket);
    const framer = new SyslogFramer({ maxMessageBytes: maxBytes });
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setKeepAlive(true, 60_000);
    let failed = false;
    const run = (step: () => string[]) => {
      if (failed) return;
      try {
        for (const m of step()) receive(m);
      } catch (e) {
        // The stream position is lost: keep the frames completed before the bad one, then close.
        if (e instanceof SyslogFrameError) for (const m of e.completed) receive(m);
        failed = true;
        socket.destroy();
        counts.closedConnections++;
        if (!(e instanceof SyslogFrameError))
          return logger.error({ remote, err: e }, 'syslog TCP connection closed: internal error');
        counts.received++;
        drop(/exceeds/.test(e.message) ? 'oversize' : 'malformed');
        // The framer's error names sizes only, never content.
        logger.warn({ remote, reason: e.message }, 'syslog TCP connection closed: bad frame');
      }
    };
    socket.on('data', (chunk: Uint8Array) => run(() => framer.push(chunk)));
    socket.on('end', () => {
      run(() => framer.end());
      socket.end();
    });
    socket.on('error', (e) => logger.debug({ remote, err: e }, 'syslog TCP connection error'));
    socket.on('close', () => connections.delete(socket));
  }

  /** Resolves once `start` has bound the socket; rejects with the bind error (port in use). */
  const bound = (s: dgram.Socket | net.Server, start: (ok: () => void) => void) =>
    new Promise<void>((ok, fail) => {
      s.once('error', fail);
      start(() => (s.off('error', fail), ok()));
    });
  try {
    if (opts.udpPort !== undefined) {
      const sock = (udp = dgram.createSocket(net.isIPv6(opts.host) ? 'udp6' : 'udp4'));
      sock.on('message', (msg) => {
        if (msg.length <= maxBytes) return receive(msg.toString('utf8'));
        counts.received++;
        drop('oversize');
      });
      await bound(sock, (ok) => sock.bind(opts.udpPort, opts.host, ok));
      sock.on('error', (e) => logger.error({ err: e }, 'syslog UDP socket error'));
    }
    if (opts.tcpPort !== undefined) {
      const server = (tcp = net.createServer(onConnection));
      server.maxConnections = MAX_CONNECTIONS;
      await bound(server, (ok) => server.listen(opts.tcpPort, opts.host, ok));
    }
  } catch (e) {
    udp?.close();
    tcp?.close();
    throw e;
  }
  const portOf = (a: ReturnType<net.Server['address']>) => (a && typeof a === 'object' ? a.port : null);
  const listeners = { udpPort: udp ? udp.address().port : null, tcpPort: tcp ? portOf(tcp.address()) : null };
  if (udp || tcp) logger.info({ host: opts.host, ...listeners }, 'syslog listening');
  if (opts.defaultToken) await resolve(opts.defaultToken); // warms the cache, warns when invalid

  let stopped: Promise<void> | null = null;
  async function stopAll(): Promise<void> {
    stopping = true;
    const closing: Promise<unknown>[] = [];
    if (udp) closing.push(new Promise<void>((ok) => udp!.close(() => ok())));
    if (tcp) closing.push(new Promise<void>((ok) => tcp!.close(() => ok())));
    for (const s of connections) s.destroy();
    await Promise.all(closing);
    while (lookups.size > 0) await Promise.allSettled([...lookups]);
    for (const b of buffers.values()) while (b.records.length > 0 || b.running) await flush(b);
    buffers.clear();
    logger.info({ ...stats() }, 'syslog stopped');
  }
  function stats(): SyslogListenerStats {
    let pending = 0;
    for (const b of buffers.values()) pending += b.records.length + b.inFlight;
    const dropped = Object.values(reasons).reduce((a, n) => a + n, 0);
    return { ...counts, dropped, ...reasons, pending };
  }
  return { ...listeners, stats, stop: () => (stopped ??= stopAll()) };
}
