/**
 * The generated sshd auth log of `bench/detect.bench.ts` and its truth file.
 *
 * Classic syslog lines as OpenSSH and pam_unix write them (the forms of loghub's OpenSSH_2k.log),
 * spread over two days from a fixed start, time-ordered. Known attackers of five kinds are mixed
 * into benign traffic with look-alikes. Everything comes from one seeded PRNG: the same options give
 * the same file, byte for byte. The truth lists every address in the file and what it is.
 */
import fs from 'node:fs';

export type AttackKind =
  'brute_force' | 'fast_spray' | 'slow_spray' | 'distributed_spray' | 'success_after_failures';
export type BenignRole = 'user' | 'mistyper' | 'office_nat' | 'scanner' | 'automation';
export const ATTACK_KINDS: AttackKind[] = [
  'brute_force',
  'fast_spray',
  'slow_spray',
  'distributed_spray',
  'success_after_failures',
];
export const BENIGN_ROLES: BenignRole[] = ['user', 'mistyper', 'office_nat', 'scanner', 'automation'];

/** Bump when the generator changes what it writes: cached files carry it in their name. */
export const DATA_VERSION = 3;

export interface Truth {
  seed: number;
  scale: number;
  lines: number;
  /** Time of the first line (the file's timestamps carry no year; this one's year is nominal). */
  start: string;
  hours: number;
  host: string;
  attackers: Record<string, { kind: AttackKind; campaign: string }>;
  benign: Record<string, { role: BenignRole }>;
  /** Lines written per attacker kind and benign role. */
  linesBy: Record<string, number>;
}

export interface GenerateOptions {
  seed: number;
  /** At least this many lines (the benign automation traffic fills up to it). */
  lines: number;
  hours?: number;
  /** 0 < scale <= 1: fewer benign users and shorter brute force, for a small smoke file (default 1). */
  scale?: number;
}

/** Fixed start: 2 November, 00:00:00 (the year is the nominal 2026; the lines have none). */
const START_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const HOST = 'bastion-01';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['an', 'be', 'ca', 'do', 'el', 'fi', 'ga', 'ha', 'jo', 'ka', 'li', 'ma', 'ne', 'or', 'pa'];
const COMMON_NAMES = [
  'admin', 'test', 'user', 'oracle', 'postgres', 'ubuntu', 'guest', 'support', 'git', 'ftpuser',
  'deploy', 'jenkins', 'webmaster', 'www', 'mysql', 'pi', 'tomcat', 'nagios', 'hadoop', 'backup',
]; // prettier-ignore

/** The line text after the timestamp and host, one list per event, with the event's instant. */
class Log {
  t: number[] = [];
  text: string[] = [];
  by: string[] = [];
  private pid = 20000;
  add(t: number, tag: string, msg: string, by: string): void {
    this.t.push(t);
    this.text.push(`${tag}: ${msg}`);
    this.by.push(by);
  }
  nextPid(): number {
    this.pid = this.pid >= 65000 ? 20000 : this.pid + 1 + (this.pid % 3);
    return this.pid;
  }
}

function stamp(ms: number): string {
  const d = new Date(ms);
  const day = d.getUTCDate();
  const p2 = (n: number) => (n < 10 ? '0' + n : '' + n);
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ' ' + day : day} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** Generates the log (time-ordered lines) and its truth. */
export function generate(opts: GenerateOptions): { lines: string[]; truth: Truth } {
  const rnd = mulberry32(opts.seed);
  const hours = opts.hours ?? 48;
  const scale = Math.min(1, Math.max(0.05, opts.scale ?? 1));
  const scaled = (n: number, min: number) => Math.max(min, Math.round(n * scale));
  const spanMs = hours * 3_600_000;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const port = () => int(1025, 65535);
  const used = new Set<string>();
  const publicIp = (): string => {
    for (;;) {
      const a = int(1, 223);
      if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192 || a === 198) continue;
      const ip = `${a}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
  };
  const internalIp = (): string => {
    for (;;) {
      const ip = `10.${int(0, 3)}.${int(0, 255)}.${int(1, 254)}`;
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
  };
  const userName = (): string => {
    const first = String.fromCharCode(97 + int(0, 25));
    return first + pick(SYLLABLES) + pick(SYLLABLES) + pick(SYLLABLES);
  };
  const accountSet = new Set<string>();
  while (accountSet.size < 600) accountSet.add(userName());
  const accounts = [...accountSet];
  const log = new Log();
  const truth: Truth = {
    seed: opts.seed,
    scale,
    lines: 0,
    start: new Date(START_MS).toISOString(),
    hours,
    host: HOST,
    attackers: {},
    benign: {},
    linesBy: {},
  };
  const sshd = (pid: number) => `sshd[${pid}]`;

  // ----- building blocks: one connection each -----------------------------------------------------
  /** A successful password or key logon, a session of `len` ms, and its end. */
  const session = (t: number, user: string, ip: string, by: string, method: string, len: number) => {
    const pid = log.nextPid();
    const p = port();
    const key = method === 'publickey' ? `: RSA SHA256:${user.slice(0, 4)}Zk9${int(1000, 9999)}q` : '';
    log.add(t, sshd(pid), `Accepted ${method} for ${user} from ${ip} port ${p} ssh2${key}`, by);
    log.add(t, sshd(pid), `pam_unix(sshd:session): session opened for user ${user} by (uid=0)`, by);
    const e = t + len;
    log.add(e, sshd(pid), `Received disconnect from ${ip} port ${p}:11: disconnected by user`, by);
    log.add(e, sshd(pid), `Disconnected from user ${user} ${ip} port ${p}`, by);
    log.add(e, sshd(pid), `pam_unix(sshd:session): session closed for user ${user}`, by);
  };
  /** One connection with `n` failed passwords for an existing account (sshd closes after 6). */
  const failures = (t: number, user: string, ip: string, by: string, n: number, gapMs: number): number => {
    const pid = log.nextPid();
    const p = port();
    const repeat = n >= 3 && rnd() < 0.2;
    for (let i = 0; i < n; i++) {
      if (i === 0 || !repeat)
        log.add(t, sshd(pid), `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`, by); // prettier-ignore
      if (repeat && i === 1) {
        log.add(t, sshd(pid), `message repeated ${n - 1} times: [ Failed password for ${user} from ${ip} port ${p} ssh2]`, by); // prettier-ignore
      } else if (!repeat || i === 0) {
        log.add(t, sshd(pid), `Failed password for ${user} from ${ip} port ${p} ssh2`, by);
      }
      t += gapMs;
    }
    if (n >= 6) {
      log.add(t, sshd(pid), `error: maximum authentication attempts exceeded for ${user} from ${ip} port ${p} ssh2 [preauth]`, by); // prettier-ignore
      log.add(t, sshd(pid), `Disconnecting authenticating user ${user} ${ip} port ${p}: Too many authentication failures [preauth]`, by); // prettier-ignore
      log.add(t, sshd(pid), `PAM ${n - 1} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`, by); // prettier-ignore
    } else
      log.add(t, sshd(pid), `Connection closed by authenticating user ${user} ${ip} port ${p} [preauth]`, by);
    return t;
  };
  /** One connection trying an account that does not exist. */
  const invalid = (t: number, user: string, ip: string, by: string): void => {
    const pid = log.nextPid();
    const p = port();
    log.add(t, sshd(pid), `Invalid user ${user} from ${ip} port ${p}`, by);
    log.add(t, sshd(pid), `input_userauth_request: invalid user ${user} [preauth]`, by);
    log.add(t, sshd(pid), `pam_unix(sshd:auth): check pass; user unknown`, by);
    log.add(t, sshd(pid), `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}`, by); // prettier-ignore
    log.add(t + 2000, sshd(pid), `Failed password for invalid user ${user} from ${ip} port ${p} ssh2`, by);
    log.add(t + 2000, sshd(pid), `Received disconnect from ${ip} port ${p}:11: Bye Bye [preauth]`, by);
    log.add(t + 2000, sshd(pid), `Disconnected from invalid user ${user} ${ip} port ${p} [preauth]`, by);
  };
  /** One try at `user`: an existing account fails its password, any other is an invalid user. */
  const known = new Set(accounts);
  const tryOnce = (t: number, user: string, ip: string, by: string) =>
    known.has(user) ? failures(t, user, ip, by, 1, 0) : invalid(t, user, ip, by);
  const at = (fraction: number) => START_MS + Math.floor(fraction * spanMs);
  const attacker = (kind: AttackKind, campaign: string) => {
    const ip = publicIp();
    truth.attackers[ip] = { kind, campaign };
    return ip;
  };
  const benign = (role: BenignRole, internal = false) => {
    const ip = internal ? internalIp() : publicIp();
    truth.benign[ip] = { role };
    return ip;
  };
  /** A list of `n` distinct accounts, `realShare` of them existing ones. */
  const targets = (n: number, realShare: number): string[] => {
    const out = new Set<string>();
    while (out.size < n) out.add(rnd() < realShare ? pick(accounts) : pick(COMMON_NAMES) + (rnd() < 0.5 ? '' : int(1, 99))); // prettier-ignore
    return [...out];
  };

  // ----- attackers --------------------------------------------------------------------------------
  for (let i = 0; i < 6; i++) {
    // Brute force: one source, one account, hundreds of tries over 10-40 minutes.
    const ip = attacker('brute_force', `bf-${i + 1}`);
    const user = i % 3 === 0 ? 'root' : i % 3 === 1 ? pick(accounts) : 'admin';
    let t = at(0.05 + rnd() * 0.85);
    const end = t + scaled(int(10, 40), 2) * 60_000;
    while (t < end) {
      t = known.has(user) || user === 'root' ? failures(t, user, ip, ip, 6, int(2, 4) * 1000) : (invalid(t, user, ip, ip), t + 3000); // prettier-ignore
      t += int(1, 5) * 1000;
    }
  }
  known.add('root');
  for (let i = 0; i < 6; i++) {
    // Fast spraying: one source, 40-80 accounts, one or two tries each, within minutes.
    const ip = attacker('fast_spray', `fs-${i + 1}`);
    let t = at(0.05 + rnd() * 0.85);
    for (const user of targets(int(40, 80), 0.6)) {
      const tries = rnd() < 0.3 ? 2 : 1;
      for (let k = 0; k < tries; k++) {
        tryOnce(t, user, ip, ip);
        t += int(2, 8) * 1000;
      }
    }
  }
  for (let i = 0; i < 6; i++) {
    // Low-and-slow spraying: one source, 20-40 accounts, one or two tries each, paced evenly (with
    // jitter) over 8-24 hours: minutes to tens of minutes between tries.
    const ip = attacker('slow_spray', `ss-${i + 1}`);
    const tries: string[] = [];
    for (const user of targets(int(20, 40), 0.7)) for (let k = int(1, 2); k > 0; k--) tries.push(user);
    for (let k = tries.length - 1; k > 0; k--) {
      const j = int(0, k);
      [tries[k], tries[j]] = [tries[j]!, tries[k]!];
    }
    const start = at(rnd() * 0.45);
    const step = (int(8, 24) * 3_600_000) / tries.length;
    tries.forEach((user, k) =>
      tryOnce(start + Math.floor((k + 0.5 + (rnd() - 0.5) * 0.5) * step), user, ip, ip),
    );
  }
  for (let c = 0; c < 2; c++) {
    // Distributed spraying: 30-50 sources, each two or three existing accounts, within an hour.
    const start = at(0.1 + rnd() * 0.75);
    const sources = int(30, 50);
    const list = targets(sources * 3, 1);
    let u = 0;
    for (let s = 0; s < sources; s++) {
      const ip = attacker('distributed_spray', `ds-${c + 1}`);
      const tries = int(2, 3);
      for (let k = 0; k < tries; k++) failures(start + Math.floor(rnd() * 3_300_000), list[u++ % list.length]!, ip, ip, 1, 0); // prettier-ignore
    }
  }
  for (let i = 0; i < 6; i++) {
    // Success after a failure burst: 12-30 failures for one account in minutes, then a logon.
    const ip = attacker('success_after_failures', `sf-${i + 1}`);
    const user = pick(accounts);
    let t = at(0.05 + rnd() * 0.85);
    let left = int(12, 30);
    while (left > 0) {
      const n = Math.min(left, 6);
      t = failures(t, user, ip, ip, n, int(2, 5) * 1000) + int(1, 4) * 1000;
      left -= n;
    }
    session(t + int(5, 60) * 1000, user, ip, ip, 'password', int(2, 40) * 60_000);
  }

  // ----- benign traffic ---------------------------------------------------------------------------
  const workday = (day: number) => START_MS + day * 86_400_000 + int(7 * 60, 18 * 60) * 60_000 + int(0, 59) * 1000; // prettier-ignore
  const days = Math.max(1, Math.ceil(hours / 24));
  const users = accounts.slice(0, scaled(300, 30));
  for (const user of users) {
    // Remote staff: their own address, a few logons a day, a wrong password now and then.
    const ip = benign('user');
    for (let d = 0; d < days; d++) {
      for (let k = int(1, 4); k > 0; k--) {
        let t = workday(d);
        if (t >= START_MS + spanMs) continue;
        if (rnd() < 0.03) t = failures(t, user, ip, ip, 1, 0) + int(5, 20) * 1000;
        session(t, user, ip, ip, 'password', int(5, 240) * 60_000);
      }
    }
  }
  for (let i = 0; i < 25; i++) {
    // Mistypers: 2-6 wrong passwords within a couple of minutes, then the right one.
    const ip = benign('mistyper');
    const user = pick(users);
    let t = at(rnd() * 0.95);
    const n = i < 6 ? int(5, 6) : int(2, 4);
    // The ssh client asks three times per connection, then reconnects.
    for (let left = n; left > 0; left -= 3) t = failures(t, user, ip, ip, Math.min(3, left), int(6, 15) * 1000) + int(5, 20) * 1000; // prettier-ignore
    session(t, user, ip, ip, 'password', int(5, 120) * 60_000);
  }
  for (let o = 0; o < 2; o++) {
    // A busy office NAT: 150 users behind one address, several logons a day, nearly all succeed.
    const ip = benign('office_nat');
    const staff = accounts.slice(300 + o * 150, 300 + o * 150 + scaled(150, 20));
    for (let d = 0; d < days; d++) {
      for (const user of staff) {
        for (let k = int(2, 6); k > 0; k--) {
          let t = workday(d);
          if (t >= START_MS + spanMs) continue;
          // Half sign in with a key; only a typed password can be mistyped.
          const method = rnd() < 0.5 ? 'password' : 'publickey';
          if (method === 'password' && rnd() < 0.03)
            t = failures(t, user, ip, ip, int(1, 2), 4000) + int(5, 20) * 1000;
          session(t, user, ip, ip, method, int(2, 180) * 60_000);
        }
      }
    }
  }
  for (let i = 0; i < 30; i++) {
    // Scanners: connect and leave, never try a password.
    const ip = benign('scanner');
    let t = at(rnd() * 0.9);
    for (let k = int(1, 40); k > 0; k--) {
      const pid = log.nextPid();
      const p = port();
      const form = int(0, 2);
      if (form === 0) log.add(t, sshd(pid), `Did not receive identification string from ${ip} port ${p}`, ip);
      else if (form === 1) log.add(t, sshd(pid), `Connection closed by ${ip} port ${p} [preauth]`, ip);
      else log.add(t, sshd(pid), `Connection reset by ${ip} port ${p} [preauth]`, ip);
      t += int(20, 900) * 1000;
    }
  }
  // Automation (backups, monitoring, deployments): key logons from internal hosts, filling the
  // file up to the requested size.
  const service = ['backup', 'nagios', 'ansible', 'deploy', 'zabbix'];
  const hosts = Array.from({ length: 40 }, () => benign('automation', true));
  const perSession = 5;
  const sessions = Math.max(0, Math.ceil((opts.lines - log.t.length) / perSession));
  for (let k = 0; k < sessions; k++) {
    const ip = hosts[k % hosts.length]!;
    const t = START_MS + Math.floor(((k + rnd()) / sessions) * (spanMs - 120_000));
    session(t, service[k % service.length]!, ip, ip, 'publickey', int(1, 90) * 1000);
  }

  // ----- order and render -------------------------------------------------------------------------
  const n = log.t.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => log.t[a]! - log.t[b]! || a - b);
  const lines = new Array<string>(n);
  let lastMs = -1;
  let lastStamp = '';
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    const sec = Math.floor(log.t[j]! / 1000);
    if (sec !== lastMs) {
      lastMs = sec;
      lastStamp = stamp(sec * 1000);
    }
    lines[i] = `${lastStamp} ${HOST} ${log.text[j]}`;
    const by = log.by[j]!;
    const key = truth.attackers[by]?.kind ?? truth.benign[by]?.role ?? 'other';
    truth.linesBy[key] = (truth.linesBy[key] ?? 0) + 1;
  }
  truth.lines = n;
  return { lines, truth };
}

/** Writes the log (one line per event, `\n`-terminated) and the truth as JSON beside it. */
export function writeDataset(file: string, opts: GenerateOptions): Truth {
  const { lines, truth } = generate(opts);
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < lines.length; i += 20_000)
      fs.writeSync(fd, lines.slice(i, i + 20_000).join('\n') + '\n');
  } finally {
    fs.closeSync(fd);
  }
  fs.writeFileSync(truthPathOf(file), JSON.stringify(truth, null, 1));
  return truth;
}

export const truthPathOf = (file: string): string => file.replace(/\.log$/, '') + '.truth.json';
