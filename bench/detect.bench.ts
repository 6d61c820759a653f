/**
 * SSH attack detection, Accord side by side with fail2ban, sshguard and CrowdSec (`npm run bench:detect`).
 *
 * One generated sshd auth log (bench/detect-data.ts: known attackers of five kinds in benign traffic
 * with look-alikes, a truth file beside it) goes through:
 *   - Accord (a): parse + normalise + detect in process (bench/detect-accord.ts `detect`);
 *   - Accord (b): the full path, also storing and sealing every batch in PostgreSQL (`full`);
 *   - the peers, as /work/shared/reference/peers.md says (bench/detect-peers.ts).
 * Each runs as its own process (tree), timed from spawn to exit, with its peak RSS sampled from
 * /proc. Output: a table (lines/s, wall time, peak memory, Accord/peer, attackers found per kind,
 * benign addresses flagged), the targets and whether they are met, a CPU profile summary when
 * Accord misses its speed target, and a JSON report in $TMPDIR/accord-bench/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccordResult } from './detect-accord.ts';
import { DATA_VERSION, truthPathOf, writeDataset, type Truth } from './detect-data.ts';
import { resolveDatabase } from './detect-db.ts';
import { PEERS, peerAvailability, runPeer, type PeerName, type PeerResult } from './detect-peers.ts';
import { run, type Measured } from './detect-proc.ts';
import { formatReport, type ToolRow } from './detect-report.ts';
import { score } from './detect-score.ts';
import { formatSummary, summariseProfile, type ProfileSummary } from './cpu-profile.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ACCORD = path.join(ROOT, 'bench', 'detect-accord.ts');
export const TARGETS = { detectLinesPerSec: 373_000, fullLinesPerSec: 100_000 };

interface Options {
  smoke: boolean;
  lines: number;
  seed: number;
  peers: PeerName[];
  full: boolean;
  profile: 'auto' | 'always' | 'never';
  regenerate: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { smoke: false, lines: 0, seed: 20261102, peers: [...PEERS], full: true, profile: 'auto', regenerate: false }; // prettier-ignore
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--smoke') o.smoke = true;
    else if (a === '--lines') o.lines = Number(val());
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--peers') {
      const v = val();
      o.peers = v === 'none' ? [] : (v.split(',') as PeerName[]);
    } else if (a === '--no-full') o.full = false;
    else if (a === '--profile') o.profile = val() as Options['profile'];
    else if (a === '--regenerate') o.regenerate = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (o.lines === 0) o.lines = o.smoke ? 10_000 : 1_000_000;
  if (!Number.isInteger(o.lines) || o.lines < 1000) throw new Error('--lines must be an integer >= 1000');
  for (const p of o.peers) if (!PEERS.includes(p)) throw new Error(`unknown peer ${p} (${PEERS.join(', ')})`);
  if (!['auto', 'always', 'never'].includes(o.profile)) throw new Error('--profile auto|always|never');
  return o;
}

const mib = (b: number) => b / 1048576;

async function runAccord(
  mode: 'detect' | 'full',
  file: string,
  work: string,
  url: string | null,
  cpuProfDir?: string,
): Promise<{ m: Measured; r: AccordResult }> {
  const out = path.join(work, `accord-${mode}${cpuProfDir ? '-profiled' : ''}.json`);
  fs.rmSync(out, { force: true });
  const args = [...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : []), '--import', 'tsx', ACCORD, mode, file, out]; // prettier-ignore
  if (url) args.push(url);
  const m = await run(process.execPath, args, {
    stdoutFile: path.join(work, `accord-${mode}.out`),
    cwd: ROOT,
    env: { ...process.env, ACCORD_LOG_LEVEL: process.env.ACCORD_LOG_LEVEL || 'warn' },
  });
  if (m.exitCode !== 0 || !fs.existsSync(out))
    throw new Error(`Accord ${mode} failed (exit ${m.exitCode}): ${m.stderrTail.slice(-1500)}`);
  return { m, r: JSON.parse(fs.readFileSync(out, 'utf8')) as AccordResult };
}

function dataset(o: Options, dir: string): { file: string; truth: Truth; generatedSeconds: number | null } {
  const scale = o.smoke ? 0.2 : 1;
  const file = path.join(
    dir,
    `detect-sshd-v${DATA_VERSION}-${o.seed}-${o.lines}${scale < 1 ? `-x${scale}` : ''}.log`,
  );
  if (!o.regenerate && fs.existsSync(file) && fs.existsSync(truthPathOf(file))) {
    return {
      file,
      truth: JSON.parse(fs.readFileSync(truthPathOf(file), 'utf8')) as Truth,
      generatedSeconds: null,
    };
  }
  const t0 = performance.now();
  const truth = writeDataset(file, { seed: o.seed, lines: o.lines, scale });
  return { file, truth, generatedSeconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const failures: string[] = [];
  const notes: string[] = [];
  const dir = path.join(os.tmpdir(), 'accord-bench');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const work = fs.mkdtempSync(path.join(dir, `detect-${stamp}-`));
  const load = os.loadavg();
  console.log(`bench:detect${o.smoke ? ' (smoke)' : ''}: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ` +
    `load average ${load.map((x) => x.toFixed(2)).join(' ')}, node ${process.version}`); // prettier-ignore

  const { file, truth, generatedSeconds } = dataset(o, dir);
  const size = fs.statSync(file).size;
  console.log(`log: ${file} (${truth.lines.toLocaleString('en')} lines, ${mib(size).toFixed(1)} MiB, seed ${truth.seed}, ` +
    `${truth.hours} h; ${generatedSeconds === null ? 'reused' : `generated in ${generatedSeconds.toFixed(1)} s`})`); // prettier-ignore
  const kinds = new Map<string, number>();
  for (const a of Object.values(truth.attackers)) kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
  console.log(`truth: ${Object.keys(truth.attackers).length} attacker addresses (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}), ` +
    `${Object.keys(truth.benign).length} benign addresses; truth file ${truthPathOf(file)}`); // prettier-ignore

  const rows: ToolRow[] = [];
  const detect = await runAccord('detect', file, work, null);
  rows.push({ tool: 'Accord (a) parse + normalise + detect', key: 'accord-detect', m: detect.m, accord: detect.r, score: score(truth, detect.r.flagged) }); // prettier-ignore

  let fullDb: string | null = null;
  if (o.full) {
    const db = await resolveDatabase();
    notes.push(...db.notes);
    if (db.error) failures.push(db.error);
    if (db.url) {
      fullDb = db.url.replace(/\/\/[^@/]*@/, '//…@');
      const full = await runAccord('full', file, work, db.url);
      const m = { ...full.m, wallSeconds: full.m.wallSeconds - full.r.cleanupSeconds };
      rows.push({ tool: 'Accord (b) full path (+ store and seal in PostgreSQL)', key: 'accord-full', m, accord: full.r, score: score(truth, full.r.flagged) }); // prettier-ignore
      notes.push(
        "Accord (b): detection runs inside each batch's ingest transaction, as in the product (engine, " +
          'alerts and engine state stored with the events), on the rows ingest parsed.',
      );
    }
  } else notes.push('Accord (b) skipped (--no-full).');

  const avail = peerAvailability();
  const peerResults: PeerResult[] = [];
  for (const p of o.peers) {
    if (avail[p]) {
      notes.push(`${p} skipped: ${avail[p]} (apt-get install -y fail2ban sshguard crowdsec)`);
      continue;
    }
    try {
      const r = await runPeer[p](file, work);
      if (r.error) failures.push(`${p}: ${r.error}`);
      if (r.note) notes.push(`${p}: ${r.note}`);
      peerResults.push(r);
      rows.push({ tool: r.label, key: p, m: r.measured, peer: r, score: score(truth, r.flagged) });
    } catch (e) {
      failures.push(`${p}: ${(e as Error).message}`);
    }
  }

  // Where Accord's time goes, when it misses its speed target.
  let profile: ProfileSummary | null = null;
  const detectRate = truth.lines / detect.m.wallSeconds;
  if (o.profile === 'always' || (o.profile === 'auto' && detectRate < TARGETS.detectLinesPerSec)) {
    const profDir = path.join(work, 'cpuprofile');
    fs.mkdirSync(profDir, { recursive: true });
    await runAccord('detect', file, work, null, profDir);
    const prof = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (prof) profile = summariseProfile(path.join(profDir, prof), null, 20);
  }

  const report = formatReport({ truth, rows, targets: TARGETS, notes });
  console.log('\n' + report.text);
  if (profile)
    console.log('\n' + formatSummary(profile, 'CPU profile of Accord (a), a second run with --cpu-prof'));

  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).stdout.trim();
  const dirty =
    spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  const json = path.join(dir, `detect-${stamp}.json`);
  fs.writeFileSync(
    json,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        commit: commit + (dirty ? '+dirty' : ''),
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memBytes: os.totalmem(), loadStart: load, loadEnd: os.loadavg() }, // prettier-ignore
        node: process.version,
        options: o,
        log: {
          file,
          bytes: size,
          lines: truth.lines,
          seed: truth.seed,
          hours: truth.hours,
          linesBy: truth.linesBy,
        },
        database: fullDb,
        targets: TARGETS,
        results: report.json,
        profile,
        notes,
        failures,
        work,
      },
      null,
      1,
    ),
  );
  console.log(`\nreport: ${json}\nworking files (peer outputs): ${work}`);
  if (failures.length > 0) {
    console.log(`\nFAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  return 1;
});
