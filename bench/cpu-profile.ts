/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, a `.cpuprofile` JSON file) over a time window:
 * self time per function, self time per area of the code (parser, hashing, database driver,
 * PGlite's WebAssembly Postgres, HTTP, GC, idle), and inclusive time of Accord's own functions.
 * Used by `bench/ingest.bench.ts` to say where the time goes when a target is missed.
 */
import fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  percent: number;
}
export interface ProfileSummary {
  file: string;
  /** Sampled time in the window, ms. */
  totalMs: number;
  samples: number;
  /** True when the window matched no sample and the whole profile was used. */
  wholeProfile: boolean;
  areas: Share[];
  topSelf: Share[];
  /** Inclusive time of functions in packages/server/src (time with them on the stack). */
  topAccordInclusive: Share[];
}

const REPO_MARK = '/packages/server/src/';

function shortUrl(url: string): string {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  const k = u.indexOf('/node_modules/');
  if (k !== -1) u = u.slice(k + 14);
  const r = u.indexOf('/packages/');
  if (r !== -1) u = u.slice(r + 1);
  return u;
}

function label(cf: CallFrame): string {
  const name = cf.functionName || '(anonymous)';
  const u = shortUrl(cf.url);
  if (!u) return name;
  // tsx compiles each TypeScript module to a single line, so a line number there says nothing.
  return /\.ts$/.test(u) ? `${name}  ${u}` : `${name}  ${u}:${cf.lineNumber + 1}`;
}

/** The area of the code a frame belongs to (by file). */
export function areaOf(cf: CallFrame): string {
  const n = cf.functionName;
  const u = cf.url;
  if (n === '(idle)') return 'idle (waiting for the database or the network)';
  if (n === '(garbage collector)') return 'garbage collection';
  if (n === '(program)') return 'V8 / native, unattributed (program)';
  if (n === '(root)') return 'root';
  if (u.startsWith('wasm://') || u.includes('@electric-sql/pglite'))
    return 'PGlite (Postgres in WebAssembly, in this process)';
  if (u.includes('/parsers/')) return 'parsers (syslog / Entra JSON to events)';
  if (u.includes('/modules/detection/')) return 'detection engine (rules, correlations)';
  if (u.includes('canonical-json')) return 'canonical JSON (hash lines, seal header)';
  if (u.includes('platform/crypto') || u.includes('internal/crypto')) return 'SHA-256 (node:crypto)';
  if (u.includes('/modules/telemetry/')) return 'ingest service, rows, body decoding';
  if (/\/node_modules\/(pg|pg-protocol|pg-types|pg-pool|postgres-array|postgres-date)\//.test(u))
    return 'pg driver (serialise parameters, protocol)';
  if (u.includes('/node_modules/kysely/')) return 'kysely (query building)';
  if (
    /\/node_modules\/(fastify|@fastify|avvio|find-my-way|light-my-request|fast-json-stringify|pino|zod|fastify-type-provider-zod)/.test(
      u,
    )
  )
    return 'fastify / zod / pino';
  if (u.startsWith('node:') || u.startsWith('internal/')) {
    if (/http|net|stream|_http|undici|dns|tls/.test(u)) return 'node: http / net / streams';
    if (/zlib/.test(u)) return 'node: zlib';
    return 'node: other internals';
  }
  if (u === '') return 'V8 builtins (JSON, RegExp, strings, arrays)';
  if (u.includes(REPO_MARK)) return 'Accord, other';
  if (u.includes('/node_modules/')) return `other package (${shortUrl(u).split('/')[0]})`;
  return 'other JS';
}

/** Summarises `file` over [fromMicros, toMicros] of the profile clock (process.hrtime µs). */
export function summariseProfile(file: string, window: [number, number] | null, top = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const pick = (useWindow: boolean) => {
    const idx: number[] = [];
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i] ?? 0;
      if (!useWindow || !window || (t >= window[0] && t <= window[1])) idx.push(i);
    }
    return idx;
  };
  let chosen = pick(true);
  let wholeProfile = false;
  if (chosen.length === 0) {
    chosen = pick(false);
    wholeProfile = true;
  }

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const i of chosen) {
    // The sample's duration: the gap to the next sample (the last one gets the interval before it).
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
    const id = p.samples[i]!;
    const node = byId.get(id);
    if (!node) continue;
    total += dt;
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      if (!cf.url.includes(REPO_MARK)) continue;
      const k = label(cf);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const shares = (m: Map<string, number>, n: number): Share[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, ms, percent: total ? (ms / total) * 100 : 0 }));
  return {
    file,
    totalMs: total,
    samples: chosen.length,
    wholeProfile,
    areas: shares(areas, 50),
    topSelf: shares(self, top),
    topAccordInclusive: shares(inclusive, top),
  };
}

export function formatSummary(s: ProfileSummary, title: string): string {
  const pct = (x: Share) => `${x.percent.toFixed(1).padStart(5)}%  ${x.ms.toFixed(0).padStart(7)} ms`;
  const lines = [
    `${title}: ${s.samples} samples over ${(s.totalMs / 1000).toFixed(1)} s (wall time, idle included)` +
      (s.wholeProfile ? ' (whole profile: the window matched no sample)' : ''),
    '  by area (self time):',
    ...s.areas.filter((a) => a.percent >= 0.5).map((a) => `    ${pct(a)}  ${a.name}`),
    '  top functions (self time):',
    ...s.topSelf.map((a) => `    ${pct(a)}  ${a.name}`),
    '  Accord functions (inclusive: time with the function on the stack):',
    ...s.topAccordInclusive.map((a) => `    ${pct(a)}  ${a.name}`),
  ];
  return lines.join('\n');
}
