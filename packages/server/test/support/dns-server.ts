import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promises as dns } from 'node:dns';

/**
 * A real DNS server on loopback for tests: Debian's dnsmasq, started on a spare port with a
 * generated configuration, answering the test zones' TXT and MX records authoritatively
 * (`local=/zone/`: a name without the asked record is NODATA, an unknown name NXDOMAIN).
 *
 * Failures are real too:
 * - `servfailZones`: forwarded to a second dnsmasq that validates DNSSEC from the root trust anchor
 *   and asks a third that serves the zones unsigned, so validation fails: the answer is SERVFAIL
 *   (a name below a local zone may be one: the more specific zone wins);
 * - `timeoutZones`: forwarded to a loopback UDP socket that never answers, so the client times out.
 *
 * Needs dnsmasq installed (`apt-get install -y dnsmasq`; .ci/run does it).
 */
export interface DnsRecords {
  /** Zones answered authoritatively (every name below them is local). */
  zones: string[];
  /** [name, text] pairs; a name may have several records. Long texts are split into 255-byte strings. */
  txt?: [string, string][];
  /** [name, exchange, preference] triples. */
  mx?: [string, string, number][];
  servfailZones?: string[];
  timeoutZones?: string[];
}

export interface TestDnsServer {
  /** "127.0.0.1:PORT", for ACCORD_DNS_SERVERS or createDnsClient. */
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** The root zone's KSK-2017 DS record (IANA's published trust anchor). */
const ROOT_TRUST_ANCHOR = '.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D';
const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => fs.existsSync(p));

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
function txtLine(name: string, text: string): string {
  const parts: string[] = [];
  for (let i = 0; i < text.length || i === 0; i += 255) parts.push(text.slice(i, i + 255));
  return `txt-record=${name},${parts.map(quote).join(',')}`;
}

async function sparePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startDnsmasq(
  lines: string[],
  dir: string,
  name: string,
): Promise<{ child: ChildProcess; port: number }> {
  if (!DNSMASQ) throw new Error('dnsmasq is not installed: apt-get install -y dnsmasq (see .ci/run)');
  const conf = path.join(dir, `${name}.conf`);
  fs.writeFileSync(conf, lines.join('\n') + '\n');
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await sparePort();
    const child = spawn(
      DNSMASQ,
      [
        '--no-daemon',
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--pid-file=',
        `--conf-file=${conf}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    if (await ready(port, exited)) return { child, port };
    child.kill('SIGKILL');
    if (!/address already in use|failed to create listening socket/i.test(stderr))
      throw new Error(`dnsmasq did not start: ${stderr.trim() || 'no answer'}`);
  }
  throw new Error('dnsmasq did not start: no spare port found');
}

/** Asks the server until it answers (any DNS answer, even NXDOMAIN or REFUSED, means it is up). */
async function ready(port: number, exited: Promise<number | null>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const r = new dns.Resolver({ timeout: 200, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  for (let i = 0; i < 50 && !gone; i++) {
    try {
      await r.resolveTxt('accord-ready.invalid');
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ETIMEOUT' && code !== 'ECONNREFUSED') return true;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  return false;
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

export async function startDnsServer(records: DnsRecords): Promise<TestDnsServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-dns-'));
  fs.chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  const sockets: dgram.Socket[] = [];
  try {
    const lines = records.zones.map((z) => `local=/${z}/`);
    for (const [name, text] of records.txt ?? []) lines.push(txtLine(name, text));
    for (const [name, host, pref] of records.mx ?? []) lines.push(`mx-host=${name},${host},${pref}`);
    if (records.servfailZones?.length) {
      const unsigned = await startDnsmasq(
        records.servfailZones.flatMap((z) => [`local=/${z}/`, txtLine(z, 'v=spf1 -all')]),
        dir,
        'unsigned',
      );
      children.push(unsigned.child);
      const validating = await startDnsmasq(
        ['dnssec', `trust-anchor=${ROOT_TRUST_ANCHOR}`, `server=127.0.0.1#${unsigned.port}`],
        dir,
        'validating',
      );
      children.push(validating.child);
      for (const z of records.servfailZones) lines.push(`server=/${z}/127.0.0.1#${validating.port}`);
    }
    if (records.timeoutZones?.length) {
      const silent = dgram.createSocket('udp4'); // receives queries and never answers
      await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
      sockets.push(silent);
      for (const z of records.timeoutZones) lines.push(`server=/${z}/127.0.0.1#${silent.address().port}`);
    }
    const front = await startDnsmasq(lines, dir, 'zones');
    children.push(front.child);
    return {
      address: `127.0.0.1:${front.port}`,
      port: front.port,
      async stop() {
        await Promise.all(children.map(stopChild));
        for (const s of sockets) s.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await Promise.all(children.map(stopChild));
    for (const s of sockets) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
