import { compareEvents, createEngine, type EngineOptions } from './evaluator.ts';
import type { CompiledRule } from './rule.types.ts';
import type { Detection, EngineEvent, TenantContext } from './types.ts';

/** Events a history run hands to the engine at a time (detections are collapsed, so this is invisible). */
const CHUNK = 50_000;

/**
 * The alert view of a detection stream: one detection per episode (organisation, rule, group and
 * first-seen), the latest update winning (without `retracted`: the latest evidence is final). Streaming a range in any batch split and running it as
 * history collapse to the same list.
 */
export function collapseDetections(detections: Iterable<Detection>): Detection[] {
  const byEpisode = new Map<string, Detection>();
  for (const d of detections) {
    // The latest state already leaves out what an episode withdrew along the way.
    const { retracted: _withdrawn, ...latest } = d;
    byEpisode.set(`${d.orgId}\u0000${d.ruleId}\u0000${d.groupKey}\u0000${d.firstSeen}`, latest);
  }
  return [...byEpisode.values()].sort(
    (a, b) =>
      (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0) ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
      (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0) ||
      (a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : 0),
  );
}

/**
 * Evaluates a past range of events (any order, any organisations) with fresh state: all events are
 * ordered first, so late-arriving events count in the windows they belong to. Returns the collapsed
 * detections (see collapseDetections).
 */
export async function runHistory(
  rules: readonly CompiledRule[],
  events: AsyncIterable<EngineEvent> | Iterable<EngineEvent>,
  ctx: TenantContext | ((orgId: string) => TenantContext),
  opts: EngineOptions = {},
): Promise<Detection[]> {
  const byOrg = new Map<string, EngineEvent[]>();
  for await (const e of events as AsyncIterable<EngineEvent>) {
    let list = byOrg.get(e.orgId);
    if (!list) byOrg.set(e.orgId, (list = []));
    list.push(e);
  }
  const engine = createEngine(rules, opts);
  const out: Detection[] = [];
  for (const [orgId, list] of byOrg) {
    list.sort(compareEvents);
    const tctx = typeof ctx === 'function' ? ctx(orgId) : ctx;
    for (let i = 0; i < list.length; i += CHUNK)
      out.push(...engine.process(orgId, list.slice(i, i + CHUNK), tctx));
    engine.forget(orgId);
  }
  return collapseDetections(out);
}
