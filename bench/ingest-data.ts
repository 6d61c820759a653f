/**
 * Synthetic but realistic log records for `bench/ingest.bench.ts`:
 *
 * - sshd syslog lines (RFC 3164, as /work/shared/datasets/loghub/OpenSSH_2k.log and the parser's
 *   tests read them): the message templates of that sample (brute force from the internet: failed
 *   passwords, invalid users, PAM failures, disconnects, reverse-mapping warnings) plus the
 *   legitimate traffic a real bastion also logs (accepted keys and passwords, PAM sessions), with
 *   varying users, addresses, ports, PIDs and hosts;
 * - Microsoft Entra ID sign-in records (Graph `signIn`, one JSON object per NDJSON line), built from
 *   the parser's fixture records (packages/server/.../parsers/fixtures/entra-signin.json) with
 *   varying users, addresses, places, times and ids.
 *
 * Everything is driven by a seeded PRNG, so a run is reproducible apart from the clock. Generating
 * is kept cheap (no per-line regexes, few allocations) because the bench makes millions of lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** mulberry32: small, fast, good enough for test data. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** Picks an index with the given weights (cumulative table, binary search). */
class Weighted {
  private readonly cum: number[] = [];
  private readonly total: number;
  constructor(weights: readonly number[]) {
    let s = 0;
    for (const w of weights) this.cum.push((s += w));
    this.total = s;
  }
  pick(rng: Rng): number {
    const x = rng.next() * this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

// ---------------------------------------------------------------------------------------------
// Users and addresses

/** The tenant's own accounts: `n` names such as `jsmith0042`. */
export function tenantUsers(n: number): string[] {
  const first = 'abcdefghijklmnoprstw';
  const last = ['smith', 'jones', 'brown', 'taylor', 'wilson', 'evans', 'walker', 'wright', 'green', 'hall'];
  return Array.from(
    { length: n },
    (_, i) =>
      `${first[i % first.length]}${last[Math.floor(i / first.length) % last.length]}${String(i).padStart(4, '0')}`,
  );
}

/** What internet scanners try (as in the OpenSSH sample): root above all. */
const DICTIONARY = [
  'root',
  'root',
  'root',
  'root',
  'root',
  'admin',
  'test',
  'oracle',
  'ubuntu',
  'user',
  'guest',
  'postgres',
  'git',
  'ftp',
  'mysql',
  'webmaster',
  'support',
  'pi',
  'hadoop',
  'nagios',
  'deploy',
  'test9',
  'chen',
  'uucp',
];

const RDNS = [
  'ns.marryaldkfaczcz.com',
  'ec2-52-80-34-196.cn-north-1.compute.amazonaws.com.cn',
  '5.36.59.76.dynamic-dsl-ip.omantel.net.om',
  'static.vnpt.vn',
  'host-197-232.example-isp.net',
];

function ipv4(rng: Rng): string {
  const a = 1 + rng.int(222);
  return `${a === 10 || a === 127 ? a + 1 : a}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
}

/** A fixed pool of addresses: scanners repeat, users come from a few places each. */
function addressPool(rng: Rng, n: number): string[] {
  return Array.from({ length: n }, () => ipv4(rng));
}

// ---------------------------------------------------------------------------------------------
// sshd lines

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => (n < 10 ? '0' + n : '' + n);

/** `Dec 10 06:55:46` (UTC; the bench's sources have utcOffsetMinutes 0). Cached per second. */
let tsSecond = -1;
let tsText = '';
function bsdTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec === tsSecond) return tsText;
  const d = new Date(sec * 1000);
  const day = d.getUTCDate();
  tsSecond = sec;
  tsText = `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ' ' + day : day} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return tsText;
}

type Who = 'pool' | 'dict' | 'none';
interface SshdTemplate {
  weight: number;
  /** Whose name the line carries (and the parser puts in `user`). */
  who: Who;
  text(u: string, ip: string, port: number, rng: Rng): string;
}

/**
 * The brute-force half follows the OpenSSH_2k sample's mix of messages (weights are its counts per
 * 2,000 lines). The other half is what the tenant's own servers log for their users and the sample
 * (one honeypot-like host) barely has: accepted keys and passwords, PAM sessions, disconnects. So a
 * tenant user has about `lines / 2 / users` events, and `root` a few percent of all lines.
 */
const SSHD_TEMPLATES: SshdTemplate[] = [
  {
    weight: 185,
    who: 'dict',
    text: (u, ip) =>
      `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u}`,
  },
  {
    weight: 190,
    who: 'dict',
    text: (u, ip, port) => `Failed password for ${u} from ${ip} port ${port} ssh2`,
  },
  {
    weight: 65,
    who: 'dict',
    text: (u, ip, port) => `Failed password for invalid user ${u} from ${ip} port ${port} ssh2`,
  },
  { weight: 55, who: 'dict', text: (u, ip) => `Invalid user ${u} from ${ip}` },
  { weight: 55, who: 'dict', text: (u) => `input_userauth_request: invalid user ${u} [preauth]` },
  { weight: 65, who: 'none', text: () => 'pam_unix(sshd:auth): check pass; user unknown' },
  {
    weight: 55,
    who: 'none',
    text: (_u, ip, _p, rng) =>
      `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${rng.int(3) === 0 ? rng.pick(RDNS) : ip} `,
  },
  { weight: 205, who: 'none', text: (_u, ip) => `Received disconnect from ${ip}: 11: Bye Bye [preauth]` },
  {
    weight: 42,
    who: 'none',
    text: (_u, ip, _p, rng) =>
      `reverse mapping checking getaddrinfo for ${rng.pick(RDNS)} [${ip}] failed - POSSIBLE BREAK-IN ATTEMPT!`,
  },
  {
    weight: 22,
    who: 'none',
    text: (_u, ip) =>
      `error: Received disconnect from ${ip}: 14: No more user authentication methods available. [preauth]`,
  },
  { weight: 17, who: 'none', text: (_u, ip) => `Connection closed by ${ip} [preauth]` },
  { weight: 5, who: 'none', text: (_u, ip) => `Did not receive identification string from ${ip}` },
  {
    weight: 3,
    who: 'dict',
    text: (u, ip, port, rng) =>
      `message repeated ${2 + rng.int(5)} times: [ Failed password for ${u} from ${ip} port ${port} ssh2]`,
  },
  {
    weight: 2,
    who: 'dict',
    text: (u) => `Disconnecting: Too many authentication failures for ${u} [preauth]`,
  },
  // Legitimate use by the tenant's own accounts.
  {
    weight: 200,
    who: 'pool',
    text: (u, ip, port, rng) =>
      `Accepted publickey for ${u} from ${ip} port ${port} ssh2: RSA SHA256:${(rng.next() * 1e17).toString(36)}${(rng.next() * 1e17).toString(36)}`,
  },
  {
    weight: 60,
    who: 'pool',
    text: (u, ip, port) => `Accepted password for ${u} from ${ip} port ${port} ssh2`,
  },
  { weight: 50, who: 'pool', text: (u, ip, port) => `Failed password for ${u} from ${ip} port ${port} ssh2` },
  {
    weight: 260,
    who: 'pool',
    text: (u) => `pam_unix(sshd:session): session opened for user ${u} by (uid=0)`,
  },
  { weight: 260, who: 'pool', text: (u) => `pam_unix(sshd:session): session closed for user ${u}` },
  { weight: 136, who: 'pool', text: (u, ip, port) => `Disconnected from user ${u} ${ip} port ${port}` },
];
const SSHD_PICK = new Weighted(SSHD_TEMPLATES.map((t) => t.weight));

/** Makes one kind of log record; counts the events each user will have once parsed. */
export interface LogGenerator {
  /** One line dated `ms`; `users[i]` is counted in `perUser` when the line names pool user i. */
  line(ms: number): string;
  /** Events per tenant user (index into `users`), for lines whose parsed `user` is that user. */
  readonly perUser: Uint32Array;
  readonly users: readonly string[];
  /** Events per name that scanners try (`root`, `admin`, ...); empty for Entra. */
  readonly perScannedName: Map<string, number>;
}

export function sshdGenerator(opts: { seed: number; users: number }): LogGenerator {
  const rng = new Rng(opts.seed);
  const users = tenantUsers(opts.users);
  const perUser = new Uint32Array(users.length);
  const perScannedName = new Map<string, number>();
  const hosts = ['LabSZ', 'bastion-01', 'bastion-02', 'sftp-eu', 'web-03', 'db-admin'];
  const scanners = addressPool(rng, 4000);
  const offices = addressPool(rng, 200);
  let pid = 24200;
  return {
    users,
    perUser,
    perScannedName,
    line(ms: number): string {
      const t = SSHD_TEMPLATES[SSHD_PICK.pick(rng)]!;
      let u = '';
      let ip: string;
      if (t.who === 'pool') {
        const i = rng.int(users.length);
        u = users[i]!;
        perUser[i]!++;
        ip = offices[i % offices.length]!;
      } else {
        if (t.who === 'dict') {
          u = rng.pick(DICTIONARY);
          perScannedName.set(u, (perScannedName.get(u) ?? 0) + 1);
        }
        ip = rng.pick(scanners);
      }
      if (rng.int(4) === 0) pid += 1 + rng.int(3);
      const msg = t.text(u, ip, 1024 + rng.int(64_000), rng);
      return `${bsdTime(ms)} ${hosts[pid % hosts.length]} sshd[${pid}]: ${msg}`;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Entra ID sign-in records

type Rec = Record<string, any>;

const FIXTURE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../packages/server/src/modules/telemetry/parsers/fixtures/entra-signin.json',
);

const PLACES = [
  { city: 'Redmond', state: 'Washington', countryOrRegion: 'US', lat: 47.68, lon: -122.12 },
  { city: 'London', state: 'England', countryOrRegion: 'GB', lat: 51.51, lon: -0.13 },
  { city: 'Amsterdam', state: 'Noord-Holland', countryOrRegion: 'NL', lat: 52.37, lon: 4.9 },
  { city: 'Berlin', state: 'Berlin', countryOrRegion: 'DE', lat: 52.52, lon: 13.4 },
  { city: 'Sydney', state: 'New South Wales', countryOrRegion: 'AU', lat: -33.87, lon: 151.21 },
  { city: 'Lagos', state: 'Lagos', countryOrRegion: 'NG', lat: 6.45, lon: 3.39 },
];

const hex = (rng: Rng, n: number) => {
  let s = '';
  while (s.length < n)
    s += Math.floor(rng.next() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
};
const guid = (rng: Rng) => {
  const h = hex(rng, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
};

/**
 * Each record is one of the fixture's 25 sign-ins (successes weighted up to about 70% of the
 * records, as in a normal tenant), re-dated and re-addressed: a fresh id and correlation id, a
 * user of the tenant, an address, a place, and the MFA step times moved along with the sign-in.
 */
export function entraGenerator(opts: { seed: number; users: number }): LogGenerator {
  const rng = new Rng(opts.seed);
  const templates = (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { value: Rec[] }).value;
  const weights = templates.map((t) => (t.status?.errorCode === 0 ? 14 : 1));
  const pick = new Weighted(weights);
  const users = tenantUsers(opts.users).map((u) => `${u}@contoso.example`);
  const userIds = users.map(() => guid(rng));
  const perUser = new Uint32Array(users.length);
  const addresses = addressPool(rng, 2000);
  return {
    users,
    perUser,
    perScannedName: new Map(),
    line(ms: number): string {
      const t = templates[pick.pick(rng)]!;
      const i = rng.int(users.length);
      perUser[i]!++;
      const when = new Date(ms).toISOString().replace('Z', '0000Z');
      const place = PLACES[rng.int(4) === 0 ? rng.int(PLACES.length) : i % 3]!;
      const rec: Rec = {
        ...t,
        id: guid(rng),
        createdDateTime: when,
        userDisplayName: users[i]!.split('@')[0],
        userPrincipalName: users[i],
        userId: userIds[i],
        ipAddress: addresses[(i * 7 + rng.int(3)) % addresses.length],
        correlationId: guid(rng),
        location: {
          city: place.city,
          state: place.state,
          countryOrRegion: place.countryOrRegion,
          geoCoordinates: { altitude: null, latitude: place.lat, longitude: place.lon },
        },
      };
      if (Array.isArray(t.authenticationDetails))
        rec.authenticationDetails = t.authenticationDetails.map((s: Rec) => ({
          ...s,
          authenticationStepDateTime: new Date(ms).toISOString(),
        }));
      return JSON.stringify(rec);
    },
  };
}

export type LogKind = 'sshd' | 'entra';

export function generatorFor(kind: LogKind, opts: { seed: number; users: number }): LogGenerator {
  return kind === 'sshd' ? sshdGenerator(opts) : entraGenerator(opts);
}

/**
 * `count` lines dated over the `spanMs` before `endMs`, oldest first (a log file is in time order).
 */
export function* datedLines(
  gen: LogGenerator,
  count: number,
  endMs: number,
  spanMs: number,
): Generator<string> {
  const start = endMs - spanMs;
  const step = spanMs / Math.max(1, count);
  for (let i = 0; i < count; i++) yield gen.line(start + i * step);
}
