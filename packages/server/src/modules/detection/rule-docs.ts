import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { AlertLevel } from '@accord/contracts';
import { AppError } from '../../platform/errors.ts';

/**
 * Sigma rule documents as text: split a YAML stream into its rules (id, title, level, kind), and
 * apply a tenant's tuning (level; a correlation's timespan and threshold) before compiling.
 */
export interface RuleDoc {
  ruleId: string;
  title: string;
  level: AlertLevel | null;
  kind: 'rule' | 'correlation';
  doc: Record<string, unknown>;
}
export interface Tuning {
  timespan: string | null;
  threshold: number | null;
  level: string | null;
}

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];

/** Splits YAML text into rule documents; refuses YAML errors and documents without an id or name. */
export function parseRuleDocs(text: string, where = 'the rule text'): RuleDoc[] {
  const out: RuleDoc[] = [];
  const problems: string[] = [];
  parseAllDocuments(text).forEach((d, i) => {
    if ('errors' in d && d.errors.length) {
      problems.push(`document ${i + 1} of ${where}: ${d.errors[0]!.message}`);
      return;
    }
    const doc = d.toJS() as unknown;
    if (doc === null || doc === undefined) return;
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      problems.push(`document ${i + 1} of ${where} is not a Sigma rule (a YAML mapping)`);
      return;
    }
    const r = doc as Record<string, unknown>;
    const ruleId = typeof r.id === 'string' ? r.id : typeof r.name === 'string' ? r.name : null;
    if (!ruleId) {
      problems.push(`document ${i + 1} of ${where} has no id`);
      return;
    }
    out.push({
      ruleId,
      title: typeof r.title === 'string' ? r.title : ruleId,
      level: LEVELS.includes(r.level as string) ? (r.level as AlertLevel) : null,
      kind: r.correlation ? 'correlation' : 'rule',
      doc: r,
    });
  });
  if (problems.length) throw new AppError('validation_failed', problems.join('; '), { errors: problems });
  return out;
}

/** The document with the tenant's tuning applied (a copy; the original is untouched). */
export function tuned(d: RuleDoc, t: Tuning | undefined): Record<string, unknown> {
  if (!t) return d.doc;
  const doc = structuredClone(d.doc);
  if (t.level) doc.level = t.level;
  const corr = doc.correlation as Record<string, unknown> | undefined;
  if (corr && (t.timespan || t.threshold)) {
    if (t.timespan) corr.timespan = t.timespan;
    if (t.threshold) {
      const cond = (corr.condition ?? {}) as Record<string, unknown>;
      const op = ['gte', 'gt', 'eq', 'lte', 'lt'].find((k) => k in cond) ?? 'gte';
      cond[op] = t.threshold;
      corr.condition = cond;
    }
  }
  return doc;
}

export const toYaml = (docs: Record<string, unknown>[]): string =>
  docs.map((d) => stringify(d)).join('---\n');

/** The built-in rules shipped in `dir` (*.yml), read once. */
export function readBuiltinRules(dir: string): RuleDoc[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => parseRuleDocs(fs.readFileSync(path.join(dir, f), 'utf8'), f));
}
