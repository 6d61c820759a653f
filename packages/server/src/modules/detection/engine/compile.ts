import { parseAllDocuments } from 'yaml';
import { either } from './dispatch.ts';
import { ConditionError, conditionPred } from './condition.ts';
import { fieldDef } from './fields.ts';
import {
  CORRELATION_TYPES,
  LEVELS,
  type CompileError,
  type CompiledRule,
  type CorrelationRule,
  type CorrelationType,
  type SimpleRule,
} from './rule.types.ts';
import { compileSelection, type CompiledSelection, type RuleIssue } from './selection.ts';
import { unknownPlaceholders } from './summary.ts';
import { checkCondition, checkTimespan, linkCorrelations } from './validate.ts';
import type { Level } from './types.ts';

export interface RuleSource {
  text: string;
  origin: string;
}

const COMMON_KEYS = [
  'title',
  'id',
  'name',
  'status',
  'description',
  'author',
  'date',
  'modified',
  'references',
  'tags',
  'level',
  'falsepositives',
  'fields',
  'related',
  'license',
  'taxonomy',
  'scope',
  'summary',
  'enabled',
  'generate',
];
const SIMPLE_KEYS = new Set([...COMMON_KEYS, 'logsource', 'detection', 'group-by', 'timespan']);
const CORRELATION_KEYS = new Set([...COMMON_KEYS, 'correlation']);
const CORRELATION_BODY_KEYS = new Set([
  'type',
  'rules',
  'group-by',
  'timespan',
  'condition',
  'aliases',
  'generate',
  'max-per-value',
  'min-distinct',
  'min-distance-km',
  'unless',
]);
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const DEFAULT_SIMPLE_GAP = '1h';

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** One document -> one rule (or issues). Correlation references are resolved later, across files. */
function compileDocument(
  doc: Record<string, unknown>,
  origin: string,
  errs: RuleIssue[],
): CompiledRule | null {
  const isCorrelation = 'correlation' in doc;
  const known = isCorrelation ? CORRELATION_KEYS : SIMPLE_KEYS;
  for (const k of Object.keys(doc)) {
    if (!known.has(k)) errs.push({ path: k, message: `unknown rule attribute "${k}"` });
  }
  const str = (k: string, required: boolean): string | null => {
    const v = doc[k];
    if (v === undefined || v === null) {
      if (required) errs.push({ path: k, message: `"${k}" is required` });
      return null;
    }
    if (typeof v !== 'string' || v.trim() === '') {
      errs.push({ path: k, message: `"${k}" must be non-empty text` });
      return null;
    }
    return v;
  };
  const title = str('title', true);
  const id = str('id', true);
  if (id !== null && !ID_RE.test(id)) errs.push({ path: 'id', message: `invalid id ${JSON.stringify(id)}` });
  const name = str('name', false);
  const level = (doc.level ?? 'medium') as Level;
  if (!LEVELS.includes(level))
    errs.push({ path: 'level', message: `level must be one of ${LEVELS.join(', ')}` });
  const summary = str('summary', false);
  const enabled = doc.enabled ?? true;
  if (typeof enabled !== 'boolean') errs.push({ path: 'enabled', message: 'enabled must be true or false' });
  const own = doc.generate ?? false;
  if (typeof own !== 'boolean') errs.push({ path: 'generate', message: 'generate must be true or false' });
  const base = {
    id: id ?? '',
    standalone: own === true,
    name,
    title: title ?? '',
    level,
    status: typeof doc.status === 'string' ? doc.status : null,
    description: typeof doc.description === 'string' ? doc.description : null,
    origin,
    enabled: enabled === true,
    summary,
  };
  const rule = isCorrelation ? compileCorrelation(doc, base, errs) : compileSimple(doc, base, errs);
  for (const p of rule?.summary ? unknownPlaceholders(rule.summary, rule.groupBy) : []) {
    errs.push({
      path: 'summary',
      message: `unknown placeholder {${p}} (count, distinct, duration, title, speed, detail, or a group-by field)`,
    });
  }
  return rule;
}

type Base = Omit<SimpleRule, 'kind' | 'match' | 'req' | 'groupBy' | 'timespanMs' | 'timespanText'>;

function groupByOf(v: unknown, path: string, errs: RuleIssue[], aliases: readonly string[] = []): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  list.forEach((f, i) => {
    if (typeof f !== 'string' || (!fieldDef(f) && !aliases.includes(f))) {
      errs.push({ path: `${path}[${i}]`, message: `group-by on unknown field ${JSON.stringify(f)}` });
    } else out.push(f);
  });
  return out;
}

function compileSimple(doc: Record<string, unknown>, base: Base, errs: RuleIssue[]): SimpleRule | null {
  const det = doc.detection;
  if (!isMap(det)) {
    errs.push({ path: 'detection', message: 'a rule needs a detection map (selections and a condition)' });
    return null;
  }
  if (doc.logsource !== undefined && !isMap(doc.logsource)) {
    errs.push({ path: 'logsource', message: 'logsource must be a map' });
  }
  const sels = new Map<string, CompiledSelection>();
  let broken = false;
  for (const [k, v] of Object.entries(det)) {
    if (k === 'condition' || k === 'timeframe') continue;
    const c = compileSelection(v, `detection.${k}`, errs);
    if (c) sels.set(k, c);
    else broken = true;
  }
  if ('timeframe' in det)
    errs.push({ path: 'detection.timeframe', message: 'timeframe is obsolete: use a correlation rule' });
  const cond = det.condition;
  const conds = Array.isArray(cond) ? cond : [cond];
  if (cond === undefined || conds.length === 0 || !conds.every((c) => typeof c === 'string')) {
    errs.push({ path: 'detection.condition', message: 'a condition (text, or a list of texts) is required' });
    return null;
  }
  if (sels.size === 0 && !broken) errs.push({ path: 'detection', message: 'no selection is defined' });
  const groupBy = groupByOf(doc['group-by'], 'group-by', errs);
  const gapText = doc.timespan === undefined ? DEFAULT_SIMPLE_GAP : doc.timespan;
  const gap = checkTimespan(gapText, 'timespan', errs);
  if (broken) return null;
  let compiled: CompiledSelection | null = null;
  try {
    const parts = (conds as string[]).map((c) => conditionPred(c, sels));
    compiled =
      parts.length === 1
        ? parts[0]!
        : {
            pred: (e, s) => parts.some((p) => p.pred(e, s)),
            req: parts.map((p) => p.req).reduce(either),
          };
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    errs.push({ path: 'detection.condition', message: err.message });
  }
  if (!compiled || gap === null) return null;
  return {
    ...base,
    kind: 'simple',
    match: compiled.pred,
    req: compiled.req,
    groupBy,
    timespanMs: gap,
    timespanText: String(gapText),
  };
}

function compileCorrelation(
  doc: Record<string, unknown>,
  base: Base,
  errs: RuleIssue[],
): CorrelationRule | null {
  const c = doc.correlation;
  if (!isMap(c)) {
    errs.push({ path: 'correlation', message: 'correlation must be a map' });
    return null;
  }
  for (const k of Object.keys(c)) {
    if (!CORRELATION_BODY_KEYS.has(k))
      errs.push({ path: `correlation.${k}`, message: `unknown correlation attribute "${k}"` });
  }
  const type = c.type as CorrelationType;
  if (!CORRELATION_TYPES.includes(type)) {
    errs.push({ path: 'correlation.type', message: `type must be one of ${CORRELATION_TYPES.join(', ')}` });
    return null;
  }
  const refs = Array.isArray(c.rules) ? c.rules : typeof c.rules === 'string' ? [c.rules] : null;
  if (!refs || refs.length === 0 || !refs.every((r) => typeof r === 'string')) {
    errs.push({
      path: 'correlation.rules',
      message: 'rules must list the ids or names of the rules correlated',
    });
    return null;
  }
  if ((type === 'temporal' || type === 'temporal_ordered') && refs.length < 2) {
    errs.push({ path: 'correlation.rules', message: `${type} needs at least two rules` });
  }
  const aliases: Record<string, Record<string, string>> = {};
  if (c.aliases !== undefined) {
    if (!isMap(c.aliases)) errs.push({ path: 'correlation.aliases', message: 'aliases must be a map' });
    else {
      for (const [alias, per] of Object.entries(c.aliases)) {
        if (!isMap(per)) {
          errs.push({ path: `correlation.aliases.${alias}`, message: 'an alias maps each rule to a field' });
          continue;
        }
        aliases[alias] = {};
        for (const [rule, field] of Object.entries(per)) {
          if (typeof field !== 'string' || !fieldDef(field)) {
            errs.push({
              path: `correlation.aliases.${alias}.${rule}`,
              message: `unknown field ${JSON.stringify(field)}`,
            });
          } else aliases[alias]![rule] = field;
        }
      }
    }
  }
  const groupBy = groupByOf(c['group-by'], 'correlation.group-by', errs, Object.keys(aliases));
  const span = checkTimespan(c.timespan, 'correlation.timespan', errs);
  const condition = checkCondition(type, c.condition, 'correlation.condition', errs, Object.keys(aliases));
  const generate = c.generate ?? false;
  if (typeof generate !== 'boolean')
    errs.push({ path: 'correlation.generate', message: 'generate must be true or false' });
  const maxPerValue = c['max-per-value'] ?? null;
  if (
    maxPerValue !== null &&
    (type !== 'value_count' || !Number.isInteger(maxPerValue) || (maxPerValue as number) < 1)
  ) {
    errs.push({
      path: 'correlation.max-per-value',
      message: 'max-per-value is a positive integer, for value_count only',
    });
  }
  const minDistinct: Record<string, number> = {};
  if (c['min-distinct'] !== undefined) {
    const md = c['min-distinct'];
    if (type !== 'value_count' || !isMap(md)) {
      errs.push({
        path: 'correlation.min-distinct',
        message: 'min-distinct is a map field -> count, for value_count only',
      });
    } else {
      for (const [f, n] of Object.entries(md)) {
        if (!fieldDef(f))
          errs.push({ path: `correlation.min-distinct.${f}`, message: `unknown field "${f}"` });
        else if (!Number.isInteger(n) || (n as number) < 1) {
          errs.push({ path: `correlation.min-distinct.${f}`, message: 'a positive integer is required' });
        } else minDistinct[f] = n as number;
      }
    }
  }
  const unless: string[] = [];
  if (c.unless !== undefined) {
    const list = Array.isArray(c.unless) ? c.unless : [c.unless];
    if (type !== 'value_count') {
      errs.push({ path: 'correlation.unless', message: 'unless applies to value_count only' });
    } else if (list.length === 0 || !list.every((r) => typeof r === 'string' && r !== '')) {
      errs.push({ path: 'correlation.unless', message: 'unless lists the ids or names of rules' });
    } else if (condition?.field !== undefined && !fieldDef(condition.field)) {
      // The excluding rules' events are read through the counted field itself: no alias for them.
      errs.push({
        path: 'correlation.unless',
        message: `unless needs the counted field to be an event field, not the alias "${condition.field}"`,
      });
    } else unless.push(...(list as string[]));
  }
  const minDistanceKm = c['min-distance-km'] ?? 500;
  if (typeof minDistanceKm !== 'number' || !(minDistanceKm >= 0)) {
    errs.push({ path: 'correlation.min-distance-km', message: 'min-distance-km is a number of kilometres' });
  }
  if (span === null || condition === null) return null;
  return {
    ...base,
    kind: 'correlation',
    type,
    rules: refs as string[],
    aliases,
    groupBy,
    timespanMs: span,
    timespanText: String(c.timespan),
    condition,
    generate: generate === true,
    maxPerValue: maxPerValue as number | null,
    minDistinct,
    unless,
    minDistanceKm: minDistanceKm as number,
  };
}

/**
 * Compiles Sigma rules and correlations from one or more multi-document YAML texts. Every problem
 * is reported with its file, document index and field path; rules with a problem are left out, and
 * so is any correlation that depends on one. A rule that compiles cannot fail while evaluating.
 */
export function compileRules(
  input: string | readonly RuleSource[],
  opts: { origin?: string } = {},
): { rules: CompiledRule[]; errors: CompileError[] } {
  const sources = typeof input === 'string' ? [{ text: input, origin: opts.origin ?? 'rules' }] : input;
  const errors: CompileError[] = [];
  const rules: CompiledRule[] = [];
  const where = new Map<CompiledRule, { origin: string; document: number }>();
  const ids = new Set<string>();
  for (const src of sources) {
    const docs = parseAllDocuments(src.text);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((d, document) => {
      const add = (path: string, message: string, ruleId: string | null = null): void => {
        errors.push({ origin: src.origin, document, ruleId, path, message });
      };
      if (d.errors.length > 0) return add('', `YAML: ${d.errors[0]!.message.split('\n')[0]}`);
      const value: unknown = d.toJS();
      if (value === null || value === undefined) return;
      if (!isMap(value)) return add('', 'a rule document must be a map');
      const issues: RuleIssue[] = [];
      const rule = compileDocument(value, `${src.origin}#${document}`, issues);
      const rid = typeof value.id === 'string' ? value.id : null;
      if (rid !== null && ids.has(rid)) issues.push({ path: 'id', message: `duplicate rule id "${rid}"` });
      if (rid !== null) ids.add(rid);
      for (const i of issues) add(i.path, i.message, rid);
      if (rule && issues.length === 0) {
        rules.push(rule);
        where.set(rule, { origin: src.origin, document });
      }
    });
  }
  const dropped = linkCorrelations(rules, (rule, path, message) => {
    const w = where.get(rule)!;
    errors.push({ origin: w.origin, document: w.document, ruleId: rule.id, path, message });
  });
  return { rules: rules.filter((r) => !dropped.has(r)), errors };
}
