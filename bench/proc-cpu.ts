/**
 * CPU time outside the Node.js process, read from Linux's /proc: the PostgreSQL server's processes
 * (when it runs on this machine) and the whole machine. Both are null elsewhere. Times are in
 * microseconds, from clock ticks at the usual USER_HZ of 100.
 */
export interface PgCpu {
  /** The bench server's own backends (its application_name). */
  oursMicros: number;
  /** Checkpointer, WAL writer, autovacuum, the postmaster...: shared, mostly working for the bench. */
  backgroundMicros: number;
  /** Other clients' backends (a test suite using the same server, say): not the bench's. */
  othersMicros: number;
}
import fs from 'node:fs';

const TICK_MICROS = 10_000;

/** utime + stime of every live process named `postgres` (the server and its backends), by pid. */
export function postgresCpuByPid(): Map<number, number> | null {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const out = new Map<number, number>();
  for (const pid of pids) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (stat.slice(open + 1, close) !== 'postgres') continue;
    const f = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the state field.
    out.set(Number(pid), (Number(f[11]) + Number(f[12])) * TICK_MICROS);
  }
  return out.size ? out : null;
}

/** Busy and total CPU time of the machine, all CPUs together (/proc/stat). */
export function machineCpuMicros(): { busy: number; total: number } | null {
  try {
    const first = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const v = first.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: (total - idle) * TICK_MICROS, total: total * TICK_MICROS };
  } catch {
    return null;
  }
}
