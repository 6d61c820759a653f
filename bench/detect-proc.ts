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
        stdoutFile: opts.stdoutFile,
        stderrFile: opts.stderrFile,
        stderrTail: stderr,
      });
    });
  });
}
