import type { CorrelationRule } from './rule.types.ts';
import {
  MAX_EVIDENCE,
  MAX_TEMPORAL,
  MAX_VALUE_EVIDENCE,
  slide,
  type Group,
  type Hit,
  type Win,
} from './state.ts';
import type { EvidenceRef } from './types.ts';
import { holds } from './validate.ts';

/**
 * One correlation step: the group has received a hit (an event of a referenced rule, or an event at
 * which a referenced correlation held). Updates the group's window and says whether the condition
 * holds now. `start` describes the events that made it hold: built at once for the pair and chain
 * types, and on demand (startOfWindow) for the window types, where it is needed only when an alert
 * episode begins.
 */
export interface Start {
  first: number;
  count: number;
  ev: EvidenceRef[];
  detail: string | null;
  /** value_count: the counted value of each evidence entry */
  vals?: (string | null)[];
}
export interface StepResult {
  holds: boolean;
  metric: number;
  start: Start | null;
  /** value_count: whether the hit's own value counts now (within max-per-value, not withdrawn) */
  counted: boolean;
}
const result: StepResult = { holds: false, metric: 0, start: null, counted: true };
const answer = (holds: boolean, metric: number, start: Start | null = null, counted = true): StepResult => {
  result.holds = holds;
  result.metric = metric;
  result.start = start;
  result.counted = counted;
  return result;
};

/** Whether a value seen n times in the window counts, withdrawals aside. */
const inRange = (c: CorrelationRule, n: number): boolean =>
  n >= 1 && (c.maxPerValue === null || n <= c.maxPerValue);

function ensureCounts(c: CorrelationRule, g: Group): Map<string, number>[] {
  if (!g.counts) {
    g.counts = Array.from({ length: 1 + Object.keys(c.minDistinct).length }, () => new Map<string, number>());
    g.small = 0;
  }
  return g.counts;
}

/** Rebuilds the value_count counters from the window and the withdrawals (after an import). */
export function rebuildCounts(c: CorrelationRule, g: Group): void {
  const w = g.w;
  if (c.type !== 'value_count' || !w) return;
  g.counts = undefined;
  ensureCounts(c, g);
  for (let i = w.h; i < w.t.length; i++) countHit(c, g, w.x?.[i] ?? null, w.y?.[i], 1);
}

function bump(m: Map<string, number>, v: string, d: 1 | -1): number {
  const before = m.get(v) ?? 0;
  const after = before + d;
  if (after === 0) m.delete(v);
  else m.set(v, after);
  return before;
}

function countHit(
  c: CorrelationRule,
  g: Group,
  v: string | null | undefined,
  y: (string | null)[] | undefined,
  d: 1 | -1,
): void {
  if (v !== null && v !== undefined) {
    const before = bump(g.counts![0]!, v, d);
    // `small`: the values that count: seen 1..max-per-value times, and not withdrawn
    if (g.ex === undefined || !g.ex.has(v)) {
      if (inRange(c, before)) g.small!--;
      if (inRange(c, before + d)) g.small!++;
    }
  }
  if (y) for (let i = 0; i < y.length; i++) if (y[i] !== null) bump(g.counts![i + 1]!, y[i]!, d);
}

/**
 * Withdrawals older than the timespan lapse: their values count again. The queue holds one entry
 * per withdrawn value, in time order: when an entry comes due but its value was withdrawn again
 * since, it is put back at that later time instead of lapsing.
 */
function lapse(c: CorrelationRule, g: Group, t: number): void {
  const q = g.exq;
  if (q === undefined) return;
  const from = t - c.timespanMs;
  while (q.h < q.t.length && q.t[q.h]! < from) {
    const v = q.v[q.h]!;
    q.h++;
    const latest = g.ex!.get(v)!;
    if (latest < from) {
      g.ex!.delete(v);
      if (inRange(c, g.counts![0]!.get(v) ?? 0)) g.small!++;
    } else schedule(q, latest, v);
  }
  if (q.h > 1024 && q.h * 2 > q.t.length) {
    q.t.splice(0, q.h);
    q.v.splice(0, q.h);
    q.h = 0;
  }
}

/** Puts a withdrawn value in the lapse queue at its place in time order. */
function schedule(q: NonNullable<Group['exq']>, t: number, v: string): void {
  let i = q.t.length;
  if (i === q.h || q.t[i - 1]! <= t) {
    q.t.push(t);
    q.v.push(v);
    return;
  }
  let lo = q.h;
  while (lo < i) {
    const mid = (lo + i) >>> 1;
    if (q.t[mid]! <= t) lo = mid + 1;
    else i = mid;
  }
  q.t.splice(lo, 0, t);
  q.v.splice(lo, 0, v);
}

/** The lapse queue of restored withdrawals (one entry per value, in time order). */
export function lapseQueue(ex: Map<string, number>): NonNullable<Group['exq']> {
  const order = [...ex].sort((a, b) => a[1] - b[1]);
  return { t: order.map((p) => p[1]), v: order.map((p) => p[0]), h: 0 };
}

/**
 * value_count `unless`: an event of an excluding rule withdraws its value of the counted field from
 * the count, from a timespan before it to a timespan after it.
 */
export function withdraw(c: CorrelationRule, g: Group, v: string, t: number): void {
  const counts = ensureCounts(c, g);
  lapse(c, g, t);
  const ex = g.ex ?? (g.ex = new Map());
  const prev = ex.get(v);
  if (prev === undefined) {
    if (inRange(c, counts[0]!.get(v) ?? 0)) g.small!--;
    ex.set(v, t);
    schedule(g.exq ?? (g.exq = { t: [], v: [], h: 0 }), t, v);
  } else if (t > prev) ex.set(v, t);
}

/** The window's events as the start of an alert episode. */
export function startOfWindow(g: Group): Start {
  const w = g.w!;
  const h = w.h;
  const ev: EvidenceRef[] = [];
  for (let i = h; i < w.t.length && ev.length < MAX_EVIDENCE; i++) {
    // an event standing for several occurrences fills consecutive slots: it is evidence once
    if (i > h && w.p[i] === w.p[i - 1] && w.b[i] === w.b[i - 1]) continue;
    ev.push({ batchId: w.b[i]!, batchPos: w.p[i]!, time: w.s[i]! });
  }
  return { first: w.t[h]!, count: w.t.length - h, ev, detail: null };
}

/**
 * The start of a value_count episode: the window's events whose value counts, and as evidence the
 * first of them per value (the events that make the condition hold).
 */
export function startOfValues(c: CorrelationRule, g: Group, t: number): Start {
  const w = g.w!;
  const x = w.x!;
  const counts = g.counts![0]!;
  const ex = g.ex;
  const seen = new Set<string>();
  const ev: EvidenceRef[] = [];
  const vals: string[] = [];
  let first = t;
  let count = 0;
  for (let i = w.h; i < w.t.length; i++) {
    const v = x[i];
    if (v === null || v === undefined || ex?.has(v) || !inRange(c, counts.get(v) ?? 0)) continue;
    if (count++ === 0) first = w.t[i]!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (ev.length < MAX_VALUE_EVIDENCE) {
      ev.push({ batchId: w.b[i]!, batchPos: w.p[i]!, time: w.s[i]! });
      vals.push(v);
    }
  }
  return { first, count, ev, detail: null, vals };
}

function eventCount(c: CorrelationRule, g: Group, hit: Hit): StepResult {
  const n = slide(g, hit, hit.t - c.timespanMs);
  return answer(holds(c.condition, n), n);
}

// The window drop callback, without a closure per call: the correlation and group being stepped.
let dropC: CorrelationRule | null = null;
let dropG: Group | null = null;
const dropValue = (w: Win, i: number): void => countHit(dropC!, dropG!, w.x![i], w.y?.[i], -1);

function valueCount(c: CorrelationRule, g: Group, hit: Hit): StepResult {
  const counts = ensureCounts(c, g);
  lapse(c, g, hit.t);
  countHit(c, g, hit.x, hit.y, 1);
  dropC = c;
  dropG = g;
  slide(g, hit, hit.t - c.timespanMs, dropValue);
  const metric = g.small!;
  let ok = holds(c.condition, metric);
  let k = 1;
  for (const f in c.minDistinct) if (counts[k++]!.size < c.minDistinct[f]!) ok = false;
  const v = hit.x;
  const counted =
    v !== null && v !== undefined && !(g.ex?.has(v) ?? false) && inRange(c, counts[0]!.get(v) ?? 0);
  return answer(ok, metric, null, counted);
}

function temporal(c: CorrelationRule, g: Group, hit: Hit, pos: number): StepResult {
  const n = c.rules.length;
  const m = g.m ?? (g.m = Array.from({ length: n }, () => []));
  const from = hit.t - c.timespanMs;
  let matched = 0;
  for (let i = 0; i < n; i++) {
    const list = m[i]!;
    if (i === pos) {
      list.push(hit);
      if (list.length > MAX_TEMPORAL) list.shift();
    }
    while (list.length > 0 && list[0]!.t < from) list.shift();
    if (list.length > 0) matched++;
  }
  const ok =
    c.condition.gte === undefined && c.condition.gt === undefined && c.condition.eq === undefined
      ? matched === n
      : holds(c.condition, matched);
  if (!ok) return answer(false, matched);
  return answer(true, matched, startOfHits(m.flat()));
}

function startOfHits(hits: Hit[]): Start {
  hits.sort((a, b) => a.t - b.t);
  return {
    first: hits[0]!.t,
    count: hits.length,
    ev: hits.slice(0, MAX_EVIDENCE).map((h) => h.r),
    detail: null,
  };
}

function temporalOrdered(c: CorrelationRule, g: Group, hit: Hit, pos: number): StepResult {
  const n = c.rules.length;
  const m = g.m ?? (g.m = Array.from({ length: n }, () => []));
  const s = g.s ?? (g.s = Array.from({ length: n }, () => null));
  const from = hit.t - c.timespanMs;
  for (let i = 0; i < n; i++) {
    if (s[i] !== null && s[i]! < from) s[i] = null;
    const list = m[i]!;
    while (list.length > 0 && list[0]!.t < from) list.shift();
  }
  // The latest start of a chain through positions 0..pos that ends with this hit.
  const start = pos === 0 ? hit.t : s[pos - 1]!;
  if (pos > 0 && s[pos - 1] === null) return answer(false, 0);
  s[pos] = s[pos] === null ? start : Math.max(s[pos]!, start);
  m[pos]!.push(hit);
  if (m[pos]!.length > MAX_TEMPORAL) m[pos]!.shift();
  if (pos !== n - 1) return answer(false, pos + 1);
  return answer(true, n, startOfHits(m.flat().filter((h) => h.t >= start)));
}

const R = 6371; // km
function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Located sign-ins of one group, each compared with the previous one. */
function travel(c: CorrelationRule, g: Group, hit: Hit, geo: unknown): StepResult {
  const o = typeof geo === 'object' && geo !== null ? (geo as Record<string, unknown>) : null;
  const lat = o?.lat;
  const lon = o?.lon;
  if (typeof lat !== 'number' || typeof lon !== 'number') return answer(false, 0);
  const place = [o!.city, o!.country].filter((x) => typeof x === 'string').join(', ') || `${lat},${lon}`;
  const prev = g.p;
  g.p = { t: hit.t, lat, lon, place, r: hit.r };
  if (!prev || hit.t < prev.t || hit.t - prev.t > c.timespanMs) return answer(false, 0);
  const km = haversineKm(prev.lat, prev.lon, lat, lon);
  // A minute at least: two sign-ins logged in the same second are not "infinitely fast".
  const hours = Math.max(hit.t - prev.t, 60_000) / 3_600_000;
  const speed = Math.round(km / hours);
  if (km < c.minDistanceKm || !holds(c.condition, speed)) return answer(false, speed);
  const mins = Math.round((hit.t - prev.t) / 60_000);
  const detail = `${prev.place} to ${place}: ${Math.round(km)} km in ${mins} min (${speed} km/h)`;
  return answer(true, speed, { first: prev.t, count: 2, ev: [prev.r, hit.r], detail });
}

export function step(c: CorrelationRule, g: Group, hit: Hit, pos: number, geo: unknown): StepResult {
  switch (c.type) {
    case 'event_count':
      return eventCount(c, g, hit);
    case 'value_count':
      return valueCount(c, g, hit);
    case 'temporal':
      return temporal(c, g, hit, pos);
    case 'temporal_ordered':
      return temporalOrdered(c, g, hit, pos);
    case 'impossible_travel':
      return travel(c, g, hit, geo);
  }
}
