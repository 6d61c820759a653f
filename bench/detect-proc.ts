/**
 * Runs a command for `bench/detect.bench.ts` and measures it the same way for every tool: wall time
 * from spawn to exit, and the peak resident memory of its whole process tree (the RSS of the
 * process and all its descendants, summed, sampled from /proc every 50 ms; a pipeline's stages
 * count together). Standard output goes to a file (standard error too, when asked).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface Measured {
  exitCode: number | null;
  signal: string | null;
  wallSeconds: number;
  /** Peak of the summed RSS of the tree, bytes (0 when /proc is not readable). */
  peakRss: number;
  /**
   * CPU time (user + system) of the process and every descendant it waited for, seconds, from
   * this process's children times in /proc (null where /proc is not readable). Unlike wall time
   * it hardly depends on what else the machine runs.
   */
  cpuSeconds: number | null;
  stdoutFile: string;
  /** The standard error's file when one was asked for. */
  stderrFile?: string;
  stderrTail: string;
  /** True when `stopWhen` ended the process; wallSeconds is then what stopWhen said. */
  stopped: boolean;
}

const SAMPLE_MS = 50;

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (s) for (const c of s.split(' ')) out.push(Number(c));
    } catch {
      // the task ended
    }
  }
  return out;
}

function rssOf(pid: number): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(s);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The summed RSS of `root` and all its descendants now, bytes. */
export function treeRss(root: number): number {
  let sum = 0;
  const stack = [root];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    sum += rssOf(pid);
    stack.push(...childrenOf(pid));
  }
  return sum;
}

const TICKS_PER_SECOND = 100; // USER_HZ

/** CPU time of this process's finished, waited-for children (cutime + cstime), seconds. */
function childrenCpuSeconds(): number | null {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14
    return (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export function run(
  cmd: string,
  args: string[],
  opts: {
    stdoutFile: string;
    stderrFile?: string;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    timeoutMs?: number;
    /**
     * Asked every 500 ms: a number (seconds since the start) says the work is done and the process
     * only failed to exit; it is then terminated and that time is its wall time.
     */
    stopWhen?: (elapsedSeconds: number) => number | null;
  },
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(opts.stdoutFile, 'w');
    const err = opts.stderrFile ? fs.openSync(opts.stderrFile, 'w') : null;
    const cpu0 = childrenCpuSeconds();
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', out, err ?? 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    const close = () => {
      fs.closeSync(out);
      if (err !== null) {
        fs.closeSync(err);
        const text = fs.readFileSync(opts.stderrFile!, 'utf8');
        stderr = text.slice(-4000);
      }
    };
    let peak = 0;
    const sample = () => {
      if (child.pid !== undefined) peak = Math.max(peak, treeRss(child.pid));
    };
    const timer = setInterval(sample, SAMPLE_MS);
    const killer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
    let stoppedAt: number | null = null;
    const watcher = opts.stopWhen
      ? setInterval(() => {
          if (stoppedAt !== null) return;
          const at = opts.stopWhen!((performance.now() - t0) / 1000);
          if (at === null) return;
          stoppedAt = at;
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }, 500)
      : null;
    sample();
    child.on('error', (e) => {
      clearInterval(timer);
      if (watcher) clearInterval(watcher);
      if (killer) clearTimeout(killer);
      close();
      reject(e);
    });
    child.on('exit', (code, signal) => {
      const wallSeconds = stoppedAt ?? (performance.now() - t0) / 1000;
      const cpu1 = childrenCpuSeconds();
      clearInterval(timer);
      if (watcher) clearInterval(watcher);
      if (killer) clearTimeout(killer);
      close();
      resolve({
        exitCode: stoppedAt !== null ? 0 : code,
        signal,
        stopped: stoppedAt !== null,
        wallSeconds,
        peakRss: peak,
        cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
        stdoutFile: opts.stdoutFile,
        stderrFile: opts.stderrFile,
        stderrTail: stderr,
      });
    });
  });
}
