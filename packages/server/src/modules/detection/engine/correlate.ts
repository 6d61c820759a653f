import type { CorrelationRule } from './rule.types.ts';
import { MAX_EVIDENCE, MAX_TEMPORAL, slide, type Group, type Hit } from './state.ts';
import type { EvidenceRef } from './types.ts';
import { holds } from './validate.ts';

/**
 * One correlation step: the group has received a hit (an event of a referenced rule, or an event at
 * which a referenced correlation held). Updates the group's window and says whether the condition
 * holds now; when it does, `start` describes the events that made it hold.
 */
export interface StepResult {
  holds: boolean;
  metric: number;
  start?: { first: number; count: number; ev: EvidenceRef[]; detail: string | null };
}
const NO: StepResult = { holds: false, metric: 0 };

export function rebuildCounts(c: CorrelationRule, g: Group): void {
  if (c.type !== 'value_count' || !g.w) return;
  const fields = 1 + Object.keys(c.minDistinct).length;
  g.counts = Array.from({ length: fields }, () => new Map<string, number>());
  g.small = 0;
  for (let i = g.h ?? 0; i < g.w.length; i++) countHit(c, g, g.w[i]!, 1);
}

function countHit(c: CorrelationRule, g: Group, hit: Hit, d: 1 | -1): void {
  const x = hit.x!;
  const max = c.maxPerValue;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === null || v === undefined) continue;
    const m = g.counts![i]!;
    const before = m.get(v) ?? 0;
    const after = before + d;
    if (after === 0) m.delete(v);
    else m.set(v, after);
    if (i === 0 && max !== null) {
      // `small`: distinct values seen at least once and at most max-per-value times
      if (before >= 1 && before <= max) g.small!--;
      if (after >= 1 && after <= max) g.small!++;
    }
  }
}

function startOfWindow(
  g: Group,
  count: number,
): { first: number; count: number; ev: EvidenceRef[]; detail: null } {
  const w = g.w!;
  const h = g.h ?? 0;
  const ev: EvidenceRef[] = [];
  for (let i = h; i < w.length && ev.length < MAX_EVIDENCE; i++) ev.push(w[i]!.r);
  return { first: w[h]!.t, count, ev, detail: null };
}

function eventCount(c: CorrelationRule, g: Group, hit: Hit): StepResult {
  const n = slide(g, hit, hit.t - c.timespanMs);
  if (!holds(c.condition, n)) return { holds: false, metric: n };
  return { holds: true, metric: n, start: startOfWindow(g, n) };
}

function valueCount(c: CorrelationRule, g: Group, hit: Hit): StepResult {
  if (!g.counts) {
    g.counts = Array.from({ length: hit.x!.length }, () => new Map<string, number>());
    g.small = 0;
  }
  countHit(c, g, hit, 1);
  const n = slide(g, hit, hit.t - c.timespanMs, (old) => countHit(c, g, old, -1));
  const metric = c.maxPerValue !== null ? g.small! : g.counts![0]!.size;
  let ok = holds(c.condition, metric);
  let k = 1;
  for (const f in c.minDistinct) if (g.counts![k++]!.size < c.minDistinct[f]!) ok = false;
  if (!ok) return { holds: false, metric };
  return { holds: true, metric, start: startOfWindow(g, n) };
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
  if (!ok) return { holds: false, metric: matched };
  return { holds: true, metric: matched, start: startOfHits(m.flat()) };
}

function startOfHits(hits: Hit[]): { first: number; count: number; ev: EvidenceRef[]; detail: null } {
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
  if (pos > 0 && s[pos - 1] === null) return { holds: false, metric: 0 };
  s[pos] = s[pos] === null ? start : Math.max(s[pos]!, start);
  m[pos]!.push(hit);
  if (m[pos]!.length > MAX_TEMPORAL) m[pos]!.shift();
  if (pos !== n - 1) return { holds: false, metric: pos + 1 };
  return { holds: true, metric: n, start: startOfHits(m.flat().filter((h) => h.t >= start)) };
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
  if (typeof lat !== 'number' || typeof lon !== 'number') return NO;
  const place = [o!.city, o!.country].filter((x) => typeof x === 'string').join(', ') || `${lat},${lon}`;
  const prev = g.p;
  g.p = { t: hit.t, lat, lon, place, r: hit.r };
  if (!prev || hit.t < prev.t || hit.t - prev.t > c.timespanMs) return NO;
  const km = haversineKm(prev.lat, prev.lon, lat, lon);
  // A minute at least: two sign-ins logged in the same second are not "infinitely fast".
  const hours = Math.max(hit.t - prev.t, 60_000) / 3_600_000;
  const speed = Math.round(km / hours);
  if (km < c.minDistanceKm || !holds(c.condition, speed)) return { holds: false, metric: speed };
  const mins = Math.round((hit.t - prev.t) / 60_000);
  const detail = `${prev.place} to ${place}: ${Math.round(km)} km in ${mins} min (${speed} km/h)`;
  return { holds: true, metric: speed, start: { first: prev.t, count: 2, ev: [prev.r, hit.r], detail } };
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
