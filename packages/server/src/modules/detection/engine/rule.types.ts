import type { Req } from './dispatch.ts';
import type { Pred } from './selection.ts';
import type { Level } from './types.ts';

export const LEVELS: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];

export type CorrelationType =
  'event_count' | 'value_count' | 'temporal' | 'temporal_ordered' | 'impossible_travel';
export const CORRELATION_TYPES: readonly CorrelationType[] = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'impossible_travel',
];

/** A threshold: every bound given must hold. `field` names the counted field of a value_count. */
export interface CountCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  field?: string;
}

interface RuleBase {
  id: string;
  name: string | null;
  title: string;
  level: Level;
  status: string | null;
  description: string | null;
  /** where the rule came from, e.g. `rules/brute-force.yml#0` */
  origin: string;
  enabled: boolean;
  /** Accord extension, top-level `generate: true`: raise own alerts even when a correlation
   * referencing the rule says `generate: false` */
  standalone: boolean;
  /** group-by fields: one alert per rule and combination of their values */
  groupBy: string[];
  /** correlation window; for a simple rule the quiet gap after which a new alert episode starts */
  timespanMs: number;
  timespanText: string;
  /** Accord extension: a summary template, `{count}`, `{duration}`, `{distinct}`, group fields */
  summary: string | null;
}

export interface SimpleRule extends RuleBase {
  kind: 'simple';
  match: Pred;
  /** the event classes and outcomes the rule can match (used to skip rules per event cheaply) */
  req: Req;
}

export interface CorrelationRule extends RuleBase {
  kind: 'correlation';
  type: CorrelationType;
  /** referenced rule ids, in the order written (the order temporal_ordered requires) */
  rules: string[];
  /** alias name -> referenced rule id -> event field */
  aliases: Record<string, Record<string, string>>;
  condition: CountCondition;
  /** Sigma `generate`: whether the referenced rules still raise their own alerts */
  generate: boolean;
  /** value_count extension: only values seen at most this many times in the window count */
  maxPerValue: number | null;
  /** value_count extension: other fields that must also reach a number of distinct values */
  minDistinct: Record<string, number>;
  /**
   * value_count extension: rule ids whose events (or, for correlations, the moments they held)
   * withdraw their value of the counted field from the count for a timespan, e.g. a source that
   * also signs in successfully or that a per-source rule has flagged
   */
  unless: string[];
  /** impossible_travel extension: hops shorter than this are ignored (geolocation noise) */
  minDistanceKm: number;
}

export type CompiledRule = SimpleRule | CorrelationRule;

export interface CompileError {
  origin: string;
  /** index of the YAML document in its file, from 0 */
  document: number;
  ruleId: string | null;
  /** field path inside the document, e.g. `detection.selection.user|contians` */
  path: string;
  message: string;
}

export const formatCompileError = (e: CompileError): string =>
  `${e.origin}#${e.document}${e.ruleId ? ` (${e.ruleId})` : ''} ${e.path}: ${e.message}`;

/** Per-tenant tuning of a rule, keyed by rule id. */
export interface RuleOverride {
  timespan?: string;
  condition?: CountCondition;
  level?: Level;
  enabled?: boolean;
}
export type RuleOverrides = Record<string, RuleOverride>;
