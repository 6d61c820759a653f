import { MAX_VALUE_EVIDENCE, type Episode } from './state.ts';
import type { EvidenceRef } from './types.ts';

/**
 * Alert episodes of value_count correlations (docs/detection.md): they grow only at hits where the
 * condition holds, count the events of values that count, and keep one evidence event per value.
 */

/** A hit at which the condition holds: the episode's last time, peak and, if its value counts, count and evidence. */
export function growValues(
  ep: Episode,
  t: number,
  iso: string,
  metric: number,
  counted: boolean,
  v: string | null | undefined,
  ref: EvidenceRef,
  w = 1,
): void {
  if (t >= ep.last) {
    ep.last = t;
    ep.lastIso = iso;
  }
  if (metric > ep.metric) ep.metric = metric;
  if (!counted || v === null || v === undefined) return;
  ep.count += w;
  // an episode restored from state written before values were kept has none for its evidence
  const vals = ep.vals ?? (ep.vals = ep.ev.map(() => null));
  if (ep.ev.length < MAX_VALUE_EVIDENCE && !vals.includes(v)) {
    ep.ev.push(ref);
    vals.push(v);
  }
}

/**
 * A value withdrawn while the episode lives: its evidence event leaves (kept in `rx` to be reported
 * as retracted) and so do its events in the window (`inWindow`), which the episode counted.
 * Returns whether the episode changed.
 */
export function dropValue(ep: Episode, v: string, inWindow: number): boolean {
  const i = ep.vals ? ep.vals.indexOf(v) : -1;
  if (i === -1) return false;
  ep.vals!.splice(i, 1);
  (ep.rx ?? (ep.rx = [])).push(ep.ev.splice(i, 1)[0]!);
  ep.count = Math.max(0, ep.count - inWindow);
  return true;
}
