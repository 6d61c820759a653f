import type { CatalogControl, CatalogParameter } from '@accord/contracts';

/** Outcome of checking one agreement (or catalog default) value against a catalog parameter. */
export type ParameterCheck =
  { ok: true } | { ok: false; kind: 'type' | 'below_floor' | 'above_ceiling'; message: string };

const TYPE_WORDS: Record<CatalogParameter['type'], string> = {
  integer: 'a whole number',
  number: 'a number',
  ratio: 'a ratio between 0 and 1',
  boolean: 'true or false',
  string: 'text',
  string_list: 'a list of text values',
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function bareValue(param: CatalogParameter, value: number): string {
  // Ratios read as percentages; toFixed avoids float noise such as 95.00000000000001%.
  return param.type === 'ratio' ? `${Number((value * 100).toFixed(4))}%` : String(value);
}

/** "180 days", "1 day", "48 hours", "100%": a number in the parameter's own unit. */
export function formatParameterValue(param: CatalogParameter, value: number): string {
  if (param.type === 'ratio' || !param.unit) return bareValue(param, value);
  const unit = value === 1 && param.unit.endsWith('s') ? param.unit.slice(0, -1) : param.unit;
  return `${value} ${unit}`;
}

function isOfType(type: CatalogParameter['type'], value: unknown): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'ratio':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'string_list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
  }
}

/**
 * Check a value for a catalog parameter: right type, and not weaker than the catalog allows
 * (at or above `floor` where higher is stricter, at or below `ceiling` where lower is stricter).
 * Messages are written for people agreeing the value, e.g.
 * "log_retention_days 90 is below the floor of 180 days".
 */
export function checkParameterValue(param: CatalogParameter, value: unknown): ParameterCheck {
  if (!isOfType(param.type, value)) {
    return {
      ok: false,
      kind: 'type',
      message: `${param.name} must be ${TYPE_WORDS[param.type]}, got ${describeValue(value)}`,
    };
  }
  if (typeof value === 'number') {
    if (param.floor !== undefined && value < param.floor) {
      return {
        ok: false,
        kind: 'below_floor',
        message: `${param.name} ${bareValue(param, value)} is below the floor of ${formatParameterValue(param, param.floor)}`,
      };
    }
    if (param.ceiling !== undefined && value > param.ceiling) {
      return {
        ok: false,
        kind: 'above_ceiling',
        message: `${param.name} ${bareValue(param, value)} is above the ceiling of ${formatParameterValue(param, param.ceiling)}`,
      };
    }
  }
  return { ok: true };
}

/** The catalog defaults of a control's parameters, by name (lists are copied, so callers may mutate). */
export function defaultParameters(control: Pick<CatalogControl, 'parameters'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of control.parameters) {
    out[p.name] = Array.isArray(p.default) ? [...p.default] : p.default;
  }
  return out;
}
