import type { CompiledRule } from './rule.types.ts';
import { MAX_VALUE_EVIDENCE, type Episode } from './state.ts';

const PLACEHOLDER_RE = /\{([A-Za-z.]+)\}/g;
const BUILT_IN = new Set(['count', 'distinct', 'duration', 'title', 'speed', 'detail']);

/** Placeholders a summary template may use: the built-in ones and the rule's group-by fields. */
export function unknownPlaceholders(template: string, groupBy: readonly string[]): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    if (!BUILT_IN.has(m[1]!) && !groupBy.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}

export function duration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** One human line for an alert episode. */
export function summarise(rule: CompiledRule, ep: Episode, values: Record<string, string | null>): string {
  // value_count: the values the episode names (one evidence event each), else the peak count
  const distinct = ep.vals
    ? ep.vals.length >= MAX_VALUE_EVIDENCE
      ? `${MAX_VALUE_EVIDENCE}+`
      : String(ep.vals.length)
    : String(ep.metric);
  const vars: Record<string, string> = {
    count: String(ep.count),
    distinct,
    duration: duration(ep.last - ep.first),
    title: rule.title,
    speed: String(ep.metric),
    detail: ep.detail ?? '',
  };
  if (rule.summary) {
    return rule.summary.replace(PLACEHOLDER_RE, (_, k: string) => vars[k] ?? values[k] ?? '(none)');
  }
  const who = Object.entries(values)
    .map(([k, v]) => `${k}=${v ?? '(none)'}`)
    .join(', ');
  const what = ep.detail ?? `${ep.count} event${ep.count === 1 ? '' : 's'} in ${vars.duration}`;
  return `${rule.title}: ${what}${who ? ` (${who})` : ''}`;
}
