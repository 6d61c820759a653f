/**
 * The peer detectors of `bench/detect.bench.ts`, run over the generated log as
 * /work/shared/reference/peers.md describes (Debian 12 packages, offline):
 *
 * - fail2ban 1.0.2: `fail2ban-regex -o row FILE /etc/fail2ban/filter.d/sshd.conf` (the stock sshd
 *   filter; `-o row` prints each failure the filter matched with its address and log time), then
 *   the default jail's ban logic applied here: 5 failures (maxretry) from one address within 600 s
 *   (findtime) of log time.
 * - sshguard 2.4.2: `sshg-parser < FILE | sshg-blocker -a 30 -p 120 -s 1800`; the `block IP` lines.
 * - CrowdSec 1.4.6: replay of the file (`crowdsec -dsn file://FILE -type syslog`) with the syslog,
 *   sshd and date parsers and the ssh-bf / ssh-slow-bf scenarios, against a local API on loopback
 *   in a fresh working folder; the `by ip A.B.C.D : 4h ban` lines of its log.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run, type Measured } from './detect-proc.ts';

export type PeerName = 'fail2ban' | 'sshguard' | 'crowdsec';
export const PEERS: PeerName[] = ['fail2ban', 'sshguard', 'crowdsec'];

export interface PeerResult {
  peer: PeerName;
  label: string;
  version: string | null;
  measured: Measured;
  /** address -> what flagged it (jail, scenario) */
  flagged: Record<string, string[]>;
  /** failures matched (fail2ban), attacks parsed (sshguard), overflows (crowdsec) */
  matched: number;
  error: string | null;
  /** Something about this run the reader should know. */
  note?: string | null;
}

const F2B_FILTER = '/etc/fail2ban/filter.d/sshd.conf';
const SSHG = '/usr/libexec/sshguard';
const HUB = '/usr/share/crowdsec/hub';
const exists = (p: string) => fs.existsSync(p);
const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** Which peers are installed, and why a missing one is missing. */
export function peerAvailability(): Record<PeerName, string | null> {
  return {
    fail2ban:
      onPath('fail2ban-regex') && exists(F2B_FILTER)
        ? null
        : 'fail2ban-regex or its sshd filter not installed',
    sshguard:
      exists(`${SSHG}/sshg-parser`) && exists(`${SSHG}/sshg-blocker`) ? null : 'sshguard not installed',
    crowdsec:
      onPath('crowdsec') && onPath('cscli') && exists(`${HUB}/scenarios/crowdsecurity/ssh-bf.yaml`)
        ? null
        : 'crowdsec, cscli or its hub content not installed',
  };
}

function versionOf(cmd: string, args: string[], re: RegExp): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const m = re.exec(`${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  return m ? m[1]! : null;
}

const add = (m: Record<string, string[]>, ip: string, why: string) => {
  const l = (m[ip] ??= []);
  if (!l.includes(why)) l.push(why);
};

export async function runFail2ban(file: string, work: string): Promise<PeerResult> {
  const out = path.join(work, 'fail2ban.out');
  const measured = await run('fail2ban-regex', ['-o', 'row', file, F2B_FILTER], { stdoutFile: out });
  // Rows: ['1.2.3.4',\t1793581745.0,\t{...}],
  const byIp = new Map<string, number[]>();
  let matched = 0;
  for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
    const m = /^\['([^']+)',\t([\d.]+),/.exec(line);
    if (!m) continue;
    matched++;
    let l = byIp.get(m[1]!);
    if (!l) byIp.set(m[1]!, (l = []));
    l.push(Number(m[2]));
  }
  const flagged: Record<string, string[]> = {};
  const maxretry = 5;
  const findtime = 600;
  for (const [ip, times] of byIp) {
    times.sort((a, b) => a - b);
    for (let i = maxretry - 1; i < times.length; i++) {
      if (times[i]! - times[i - maxretry + 1]! <= findtime) {
        add(flagged, ip, 'sshd jail (5 in 600 s)');
        break;
      }
    }
  }
  return {
    peer: 'fail2ban',
    label: 'fail2ban-regex (stock sshd filter) + jail logic',
    version: versionOf('fail2ban-regex', ['--version'], /fail2ban-regex (\S+)/),
    measured,
    flagged,
    matched,
    error: measured.exitCode === 0 ? null : `exit ${measured.exitCode}: ${measured.stderrTail.slice(-300)}`,
  };
}

export async function runSshguard(file: string, work: string): Promise<PeerResult> {
  const out = path.join(work, 'sshguard.out');
  const cmd = `${SSHG}/sshg-parser < "$1" | ${SSHG}/sshg-blocker -a 30 -p 120 -s 1800`;
  const measured = await run('sh', ['-c', cmd, 'sh', file], { stdoutFile: out });
  const flagged: Record<string, string[]> = {};
  let matched = 0;
  for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
    const m = /^block (\S+) /.exec(line);
    if (m) {
      matched++;
      add(flagged, m[1]!, 'blocker (30 in 120 s of wall-clock time)');
    }
  }
  return {
    peer: 'sshguard',
    label: 'sshguard (sshg-parser | sshg-blocker)',
    version: versionOf('dpkg-query', ['-W', '-f', '${Version}', 'sshguard'], /^([\d.]+)/),
    measured,
    flagged,
    matched,
    error: measured.exitCode === 0 ? null : `exit ${measured.exitCode}: ${measured.stderrTail.slice(-300)}`,
  };
}

/** Prepares CrowdSec's working folder (peers.md, steps 1-3); not timed. */
function crowdsecFolder(work: string): string {
  const w = path.join(work, 'crowdsec');
  fs.rmSync(w, { recursive: true, force: true });
  const cfg = path.join(w, 'cfg');
  const links: [string, string][] = [
    ['parsers/s00-raw', 'parsers/s00-raw/crowdsecurity/syslog-logs.yaml'],
    ['parsers/s01-parse', 'parsers/s01-parse/crowdsecurity/sshd-logs.yaml'],
    ['parsers/s02-enrich', 'parsers/s02-enrich/crowdsecurity/dateparse-enrich.yaml'],
    ['scenarios', 'scenarios/crowdsecurity/ssh-bf.yaml'],
    ['scenarios', 'scenarios/crowdsecurity/ssh-slow-bf.yaml'],
  ];
  for (const [dir, target] of links) {
    fs.mkdirSync(path.join(cfg, dir), { recursive: true });
    fs.symlinkSync(path.join(HUB, target), path.join(cfg, dir, path.basename(target)));
  }
  fs.mkdirSync(path.join(w, 'data'), { recursive: true });
  fs.cpSync('/etc/crowdsec/patterns', path.join(cfg, 'patterns'), { recursive: true });
  fs.copyFileSync('/etc/crowdsec/simulation.yaml', path.join(cfg, 'simulation.yaml'));
  fs.copyFileSync('/etc/crowdsec/profiles.yaml', path.join(cfg, 'profiles.yaml'));
  fs.writeFileSync(path.join(cfg, 'acquis.yaml'), '');
  fs.writeFileSync(
    path.join(cfg, 'config.yaml'),
    [
      'common: {daemonize: false, log_media: stdout, log_level: info}',
      'config_paths:',
      `  config_dir: ${cfg}/`,
      `  data_dir: ${w}/data/`,
      `  simulation_path: ${cfg}/simulation.yaml`,
      `  hub_dir: ${HUB}/`,
      `  index_path: ${HUB}/.index.json`,
      `crowdsec_service: {acquisition_path: ${cfg}/acquis.yaml, parser_routines: 2, buckets_routines: 1, output_routines: 1}`,
      `db_config: {type: sqlite, db_path: ${w}/data/crowdsec.db}`,
      'api:',
      `  client: {credentials_path: ${cfg}/local_api_credentials.yaml}`,
      '  server: {listen_uri: 127.0.0.1:8099, profiles_path: ' + cfg + '/profiles.yaml}',
      'prometheus: {enabled: false}',
      '',
    ].join('\n'),
  );
  const conf = path.join(cfg, 'config.yaml');
  const r = spawnSync(
    'cscli',
    ['-c', conf, 'machines', 'add', 'bench', '--password', 'bench-replay-1', '-f', path.join(cfg, 'local_api_credentials.yaml'), '--force'], // prettier-ignore
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`cscli machines add failed: ${(r.stderr || r.stdout).slice(-300)}`);
  return conf;
}

export async function runCrowdsec(file: string, work: string): Promise<PeerResult> {
  const conf = crowdsecFolder(work);
  const out = path.join(work, 'crowdsec.out');
  // CrowdSec 1.4.6 sometimes does not exit after a replay: the acquisition finishes, the last
  // alerts are sent, then only the local API's heartbeats follow. Once the acquisition is finished
  // and its log has been quiet (heartbeats aside) for QUIET_S, it is stopped, and its wall time is
  // counted to its last log line that was not a heartbeat.
  const QUIET_S = 5;
  const logs = [out, `${out}.err`];
  const seen = logs.map(() => 0);
  let finished = false;
  let lastActivity = 0;
  const stopWhen = (now: number): number | null => {
    logs.forEach((f, i) => {
      let text = '';
      try {
        const fd = fs.openSync(f, 'r');
        const size = fs.fstatSync(fd).size;
        if (size > seen[i]!) {
          const buf = Buffer.alloc(size - seen[i]!);
          fs.readSync(fd, buf, 0, buf.length, seen[i]!);
          text = buf.toString('utf8');
          seen[i] = size;
        }
        fs.closeSync(fd);
      } catch {
        return;
      }
      if (text.split('\n').some((l) => l.trim() !== '' && !l.includes('/v1/heartbeat'))) lastActivity = now;
      if (text.includes('Acquisition is finished')) finished = true;
    });
    return finished && now - lastActivity >= QUIET_S ? lastActivity : null;
  };
  const measured = await run(
    'crowdsec',
    ['-c', conf, '-dsn', `file://${path.resolve(file)}`, '-type', 'syslog'],
    {
      stdoutFile: out,
      stderrFile: `${out}.err`,
      stopWhen,
    },
  );
  const flagged: Record<string, string[]> = {};
  let matched = 0;
  // Its log goes to standard output or standard error, depending on the build: read both.
  const text = fs.readFileSync(out, 'utf8') + '\n' + fs.readFileSync(`${out}.err`, 'utf8');
  for (const m of text.matchAll(/crowdsecurity\/(ssh-[\w-]+) by ip (\S+) : \S+ ban/g)) {
    matched++;
    add(flagged, m[2]!, m[1]!);
  }
  return {
    peer: 'crowdsec',
    label: 'CrowdSec replay (ssh-bf, ssh-slow-bf)',
    note: measured.stopped
      ? `CrowdSec did not exit after its replay; stopped ${QUIET_S} s after its last log line, wall time counted to that line`
      : null,
    version: versionOf('crowdsec', ['-version'], /version: v?([\d.]+)/),
    measured,
    flagged,
    matched,
    error: measured.exitCode === 0 ? null : `exit ${measured.exitCode}: ${measured.stderrTail.slice(-300)}`,
  };
}

export const runPeer: Record<PeerName, (file: string, work: string) => Promise<PeerResult>> = {
  fail2ban: runFail2ban,
  sshguard: runSshguard,
  crowdsec: runCrowdsec,
};
