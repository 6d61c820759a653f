import dgram from 'node:dgram';
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SourceKind } from '@accord/contracts';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../../../test/support/factories.ts';
import { createLogger } from '../../platform/logger.ts';
import type { Runtime } from '../../server.ts';
import type { IngestService } from './ingest.service.ts';
import { startSyslogListeners, type SyslogListenerOptions, type SyslogListeners } from './syslog-listener.ts';

const HOST = '127.0.0.1';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');
/** RFC 3164 timestamp (UTC, the sources' offset) a few seconds ago. */
function bsdNow(): string {
  const d = new Date(Date.now() - 5_000);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `${MONTHS[d.getUTCMonth()]} ${day} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}
const bsdLine = (user: string, ip = '203.0.113.9') =>
  `<38>${bsdNow()} bastion sshd[4242]: Failed password for ${user} from ${ip} port 50022 ssh2`;
const rfc5424 = (sd: string, user: string) =>
  `<86>1 ${new Date(Date.now() - 5_000).toISOString()} web01 sshd 777 - ${sd} Accepted password for ${user} from 198.51.100.2 port 5555 ssh2`;
const accordSd = (token: string) => `[accord@0 token="${token}"]`;
const octet = (msg: string) => `${Buffer.byteLength(msg)} ${msg}`;

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function sendUdp(port: number, messages: string[]): Promise<void> {
  const sock = dgram.createSocket('udp4');
  for (const m of messages)
    await new Promise<void>((ok, fail) => sock.send(m, port, HOST, (e) => (e ? fail(e) : ok())));
  sock.close();
}

async function connect(port: number): Promise<net.Socket> {
  const sock = net.connect(port, HOST);
  sock.setNoDelay(true);
  await new Promise<void>((ok, fail) => sock.once('connect', ok).once('error', fail));
  return sock;
}
const write = (sock: net.Socket, data: string | Uint8Array) =>
  new Promise<void>((ok, fail) => sock.write(data, (e) => (e ? fail(e) : ok())));
const closed = (sock: net.Socket) =>
  new Promise<void>((ok) => (sock.destroyed ? ok() : sock.once('close', () => ok())));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(dbTargets())('syslog listeners ($name)', (target) => {
  let rt: Runtime;
  let running: SyslogListeners[] = [];
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterEach(async () => {
    await Promise.all(running.map((l) => l.stop()));
    running = [];
  });
  afterAll(() => rt.close());

  async function tenant(kind: SourceKind = 'linux_syslog') {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const ctx = ctxFor(cust.admin, 'customer');
    const source = await rt.services.sources.create(ctx, cust.org.id, {
      kind,
      name: `syslog-${kind}`,
      expectedIntervalMinutes: 60,
    });
    const events = async () =>
      (await rt.services.logs.search(ctx, cust.org.id, { order: 'asc', limit: 1000 })).events;
    const quarantine = () => rt.services.logs.quarantine(ctx, cust.org.id);
    return { orgId: cust.org.id, ctx, source, token: source.ingestToken, events, quarantine };
  }

  async function listen(opts: Partial<SyslogListenerOptions>, ingest: IngestService = rt.services.ingest) {
    const l = await startSyslogListeners(
      { sources: rt.services.sources, ingest, logger: rt.logger },
      { host: HOST, flushMs: 30, ...opts },
    );
    running.push(l);
    return l;
  }

  it('stores RFC 3164 datagrams under the listener source, raw as sent without trailing newline', async () => {
    const a = await tenant();
    const l = await listen({ udpPort: 0, defaultToken: a.token });
    expect(l.udpPort).toBeGreaterThan(0);
    expect(l.tcpPort).toBeNull();
    const lines = [bsdLine('root'), bsdLine('admin', '203.0.113.10'), bsdLine('oracle')];
    await sendUdp(l.udpPort!, [lines[0]!, `${lines[1]}\n`, `${lines[2]}\r\n\0`]);
    await until('3 events', async () => (await a.events()).length === 3);
    const events = await a.events();
    expect(events.map((e) => e.raw).sort()).toEqual([...lines].sort());
    expect(events.every((e) => e.sourceId === a.source.id && e.outcome === 'failure')).toBe(true);
    expect(events.map((e) => e.user).sort()).toEqual(['admin', 'oracle', 'root']);
    expect(l.stats()).toMatchObject({ received: 3, accepted: 3, dropped: 0, pending: 0 });
  });

  it('routes octet-counted RFC 5424 messages by their accord token, two tenants on one connection', async () => {
    const a = await tenant();
    const b = await tenant();
    const l = await listen({ tcpPort: 0 });
    const forA = [rfc5424(accordSd(a.token), 'alice'), rfc5424(`[meta seq="1"]${accordSd(a.token)}`, 'zoë')];
    const forB = [rfc5424(`[accord@32473 note="x\\"y" token="${b.token}"]`, 'bob')];
    const noToken = rfc5424('-', 'nobody');
    const sock = await connect(l.tcpPort!);
    await write(sock, [forA[0], forB[0], noToken, forA[1]].map((m) => octet(m!)).join(''));
    await until(
      'both tenants',
      async () => (await a.events()).length === 2 && (await b.events()).length === 1,
    );
    expect((await a.events()).map((e) => [e.raw, e.user])).toEqual(
      forA.map((m, i) => [m, ['alice', 'zoë'][i]]),
    );
    expect((await b.events()).map((e) => [e.raw, e.user, e.outcome])).toEqual([[forB[0], 'bob', 'success']]);
    expect(l.stats()).toMatchObject({ received: 4, accepted: 3, noSource: 1, dropped: 1 });
    sock.destroy();
  });

  it('reassembles newline-framed messages split across chunks, mid-character and mid-CRLF', async () => {
    const a = await tenant();
    const l = await listen({ tcpPort: 0, defaultToken: a.token });
    const lines = [bsdLine('ünïcode'), bsdLine('bob'), bsdLine('carol')];
    const bytes = Buffer.from(`${lines[0]}\r\n${lines[1]}\n${lines[2]}\0`);
    const umlaut = bytes.indexOf(Buffer.from('ü')) + 1; // inside the two-byte character
    const cr = bytes.indexOf('\r') + 1; // between CR and LF
    const cuts = [0, 7, umlaut, cr, cr + 30, bytes.length];
    const sock = await connect(l.tcpPort!);
    for (let i = 1; i < cuts.length; i++) {
      await write(sock, bytes.subarray(cuts[i - 1], cuts[i]));
      await pause(15);
    }
    await until('3 events', async () => (await a.events()).length === 3);
    expect((await a.events()).map((e) => e.raw).sort()).toEqual([...lines].sort());
    sock.destroy();
  });

  it('closes only the connection that sends an oversize frame, and logs no content', async () => {
    const a = await tenant();
    const logged: string[] = [];
    const sink = new Writable({ write: (c, _e, done) => (logged.push(String(c)), done()) });
    const l = await startSyslogListeners(
      { sources: rt.services.sources, ingest: rt.services.ingest, logger: createLogger('warn', sink) },
      { host: HOST, tcpPort: 0, defaultToken: a.token, flushMs: 30, maxMessageBytes: 300 },
    );
    running.push(l);
    const bad = await connect(l.tcpPort!);
    const good = await connect(l.tcpPort!);
    await write(good, `${bsdLine('before')}\n`);
    await write(bad, `${bsdLine('first')}\n`);
    await until('first', () => l.stats().received === 2);
    await write(bad, bsdLine('SECRET-MARKER'.repeat(30)));
    await closed(bad);
    const badLine = await connect(l.tcpPort!);
    await write(badLine, `${octet(bsdLine('x'.repeat(400)))}`);
    await closed(badLine);
    await write(good, `${bsdLine('after')}\n`);
    await until('3 events', async () => (await a.events()).length === 3);
    expect((await a.events()).map((e) => e.user).sort()).toEqual(['after', 'before', 'first']);
    expect(good.destroyed).toBe(false);
    expect(l.stats()).toMatchObject({ oversize: 2, closedConnections: 2, accepted: 3 });
    const text = logged.join('');
    expect(text).toMatch(/bad frame/);
    expect(text).not.toMatch(/SECRET-MARKER|xxxx|Failed password/);
    good.destroy();
  });

  it('drops and counts invalid tokens and disabled sources, never falling back to the default', async () => {
    const a = await tenant();
    const b = await tenant();
    await rt.services.sources.setDisabled(b.ctx, b.orgId, b.source.id, true);
    const l = await listen({ tcpPort: 0, defaultToken: a.token });
    const forged = a.token.slice(0, -4) + 'AAAA';
    const msgs = [
      rfc5424(accordSd(forged), 'forged'),
      rfc5424(accordSd('not-a-token'), 'garbage'),
      rfc5424(accordSd(b.token), 'disabled'),
      rfc5424(`[accord@0 token="${a.token}"`, 'unterminated'),
      bsdLine('valid'),
    ];
    const sock = await connect(l.tcpPort!);
    await write(sock, msgs.map(octet).join(''));
    await until('all handled', () => l.stats().dropped === 4 && l.stats().accepted === 1);
    expect((await a.events()).map((e) => e.user)).toEqual(['valid']);
    expect(await a.quarantine()).toEqual([]);
    expect(await b.events()).toEqual([]);
    expect(l.stats()).toMatchObject({ invalidToken: 2, disabledSource: 1, malformed: 1, dropped: 4 });
    sock.destroy();
  });

  it('refuses sources whose kind does not take lines', async () => {
    const okta = await tenant('okta_system_log');
    const l = await listen({ udpPort: 0 });
    await sendUdp(l.udpPort!, [rfc5424(accordSd(okta.token), 'alice'), rfc5424(accordSd(okta.token), 'bob')]);
    await until('refused', () => l.stats().wrongKind === 2);
    expect(await okta.events()).toEqual([]);
    expect(await okta.quarantine()).toEqual([]);
  });

  it('flushes a full batch at once and bounds a slow source to 20 batches', async () => {
    const a = await tenant();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: IngestService = {
      ...rt.services.ingest,
      ingest: async (...args) => (await gate, rt.services.ingest.ingest(...args)),
    };
    const l = await listen({ tcpPort: 0, defaultToken: a.token, maxBatch: 2, flushMs: 60_000 }, slow);
    const sock = await connect(l.tcpPort!);
    await write(sock, Array.from({ length: 100 }, (_, i) => `${bsdLine(`u${i}`)}\n`).join(''));
    await until('100 received', () => l.stats().received === 100);
    // One batch of 2 is being stored, 40 wait (20 × maxBatch), the rest is dropped.
    expect(l.stats()).toMatchObject({ pending: 42, overflow: 58 });
    release();
    await until('stored', () => l.stats().accepted === 42);
    expect((await a.events()).length).toBe(42);
    sock.destroy();
  });

  it('retries a batch the database refused, and counts what it finally gives up on', async () => {
    const a = await tenant();
    let failures = 1;
    const flaky: IngestService = {
      ...rt.services.ingest,
      ingest: async (...args) => {
        if (failures-- > 0) throw new Error('connection terminated');
        return rt.services.ingest.ingest(...args);
      },
    };
    const l = await listen({ udpPort: 0, defaultToken: a.token }, flaky);
    await sendUdp(l.udpPort!, [bsdLine('retried')]);
    await until('stored after a retry', () => l.stats().accepted === 1);
    expect(l.stats()).toMatchObject({ failed: 0, dropped: 0 });

    failures = Infinity;
    await sendUdp(l.udpPort!, [bsdLine('lost')]);
    await until('received', () => l.stats().received === 2);
    await l.stop();
    expect(l.stats()).toMatchObject({ accepted: 1, failed: 1, pending: 0 });
    expect((await a.events()).map((e) => e.user)).toEqual(['retried']);
  });

  it('stop() stores everything received, then stops listening', async () => {
    const a = await tenant();
    const l = await startSyslogListeners(
      { sources: rt.services.sources, ingest: rt.services.ingest, logger: rt.logger },
      { host: HOST, udpPort: 0, tcpPort: 0, defaultToken: a.token, flushMs: 60_000 },
    );
    const udp = Array.from({ length: 20 }, (_, i) => bsdLine(`udp${i}`));
    const tcp = Array.from({ length: 5 }, (_, i) => bsdLine(`tcp${i}`));
    await sendUdp(l.udpPort!, udp);
    const sock = await connect(l.tcpPort!);
    await write(sock, tcp.map((m) => `${m}\n`).join(''));
    await until('25 received', () => l.stats().received === 25);
    expect(l.stats().pending).toBe(25);
    await l.stop();
    expect(l.stats()).toMatchObject({ accepted: 25, pending: 0 });
    expect((await a.events()).map((e) => e.raw).sort()).toEqual([...udp, ...tcp].sort());
    await expect(connect(l.tcpPort!)).rejects.toThrow(/ECONNREFUSED/);
    await closed(sock);
  });
});
