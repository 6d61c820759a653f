import { fieldDef, FIELD_NAMES, type FieldDef, type Getter } from './fields.ts';
import { blockListOf, ipInList, parseCidr, type Scope } from './scope.ts';
import { either, reqOfMap, type Req } from './dispatch.ts';
import type { EngineEvent } from './types.ts';

export type Pred = (e: EngineEvent, s: Scope) => boolean;

/** A compile error: where (document and field path) and why. */
export interface RuleIssue {
  path: string;
  message: string;
}

/** A compiled selection, with the event classes and outcomes it can match, for rule dispatch. */
export interface CompiledSelection {
  pred: Pred;
  req: Req;
}

const MODIFIERS = new Set([
  'contains',
  'startswith',
  'endswith',
  'all',
  're',
  'i',
  'm',
  's',
  'cidr',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'cased',
]);
const STRING_OPS = new Set(['contains', 'startswith', 'endswith']);
const NUMERIC_OPS = new Set(['gt', 'gte', 'lt', 'lte']);

type Scalar = string | number | boolean | null;
const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sigma wildcards: `*` any run, `?` one character, `\*` `\?` `\\` literal. null: no wildcard. */
function globSource(value: string): string | null {
  let out = '';
  let wild = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length && '*?\\'.includes(value[i + 1]!)) {
      out += '\\' + value[++i]!;
    } else if (c === '*') {
      out += '[\\s\\S]*';
      wild = true;
    } else if (c === '?') {
      out += '[\\s\\S]';
      wild = true;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return wild ? out : null;
}
const unescapeLiteral = (v: string): string => v.replace(/\\([*?\\])/g, '$1');

function stringMatcher(get: Getter, def: FieldDef, op: string, value: string, cased: boolean): Pred {
  const src = globSource(value);
  if (src !== null) {
    const re = new RegExp(
      op === 'startswith' ? '^' + src : op === 'endswith' ? src + '$' : op === 'contains' ? src : `^${src}$`,
      cased ? '' : 'i',
    );
    return (e, s) => {
      const v = get(e, s);
      return typeof v === 'string' && re.test(v);
    };
  }
  const lit = unescapeLiteral(value);
  const fold = !cased && !def.lowercase;
  const needle = cased ? lit : lit.toLowerCase();
  const norm = (v: string): string => (fold ? v.toLowerCase() : v);
  switch (op) {
    case 'contains':
      return (e, s) => {
        const v = get(e, s);
        return typeof v === 'string' && norm(v).includes(needle);
      };
    case 'startswith':
      return (e, s) => {
        const v = get(e, s);
        return typeof v === 'string' && norm(v).startsWith(needle);
      };
    case 'endswith':
      return (e, s) => {
        const v = get(e, s);
        return typeof v === 'string' && norm(v).endsWith(needle);
      };
    default:
      return (e, s) => {
        const v = get(e, s);
        return (
          typeof v === 'string' &&
          (v === needle || (fold && v.length === needle.length && v.toLowerCase() === needle))
        );
      };
  }
}

function anyOf(preds: Pred[]): Pred {
  if (preds.length === 1) return preds[0]!;
  if (preds.length === 2) {
    const [a, b] = preds as [Pred, Pred];
    return (e, s) => a(e, s) || b(e, s);
  }
  return (e, s) => {
    for (const p of preds) if (p(e, s)) return true;
    return false;
  };
}
function allOf(preds: Pred[]): Pred {
  if (preds.length === 1) return preds[0]!;
  if (preds.length === 2) {
    const [a, b] = preds as [Pred, Pred];
    return (e, s) => a(e, s) && b(e, s);
  }
  return (e, s) => {
    for (const p of preds) if (!p(e, s)) return false;
    return true;
  };
}
export { allOf, anyOf };

/** One `field|modifiers: value(s)` item. */
function compileItem(key: string, raw: unknown, path: string, errs: RuleIssue[]): Pred | null {
  const [field, ...mods] = key.split('|') as [string, ...string[]];
  const def = fieldDef(field);
  const fail = (message: string): null => {
    errs.push({ path, message });
    return null;
  };
  if (field === '') return fail('a detection item needs a field name (keyword search is not supported)');
  if (!def) return fail(`unknown field "${field}" (known: ${FIELD_NAMES.join(', ')})`);
  for (const m of mods) {
    if (!MODIFIERS.has(m)) return fail(`unknown modifier "${m}" (supported: ${[...MODIFIERS].join(', ')})`);
  }
  const has = (m: string): boolean => mods.includes(m);
  const ops = mods.filter(
    (m) => STRING_OPS.has(m) || NUMERIC_OPS.has(m) || m === 're' || m === 'cidr' || m === 'exists',
  );
  if (ops.length > 1) return fail(`modifiers ${ops.join(' and ')} cannot be combined`);
  const op = ops[0] ?? 'eq';
  if ((has('i') || has('m') || has('s')) && op !== 're')
    return fail('modifiers i, m and s apply to |re only');
  const values: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) return fail('an empty list matches nothing');
  if (!values.every(isScalar)) return fail('values must be text, numbers, booleans or null');
  const get = def.get;

  const preds: Pred[] = [];
  for (const [k, v] of (values as Scalar[]).entries()) {
    const where = values.length > 1 ? `${path}[${k}]` : path;
    const bad = (message: string): null => {
      errs.push({ path: where, message });
      return null;
    };
    if (op === 'exists') {
      if (typeof v !== 'boolean') return bad('|exists takes true or false');
      preds.push((e, s) => {
        const x = get(e, s);
        return (x !== null && x !== '') === v;
      });
      continue;
    }
    if (v === null) {
      if (op !== 'eq') return bad(`null cannot be used with |${op}`);
      preds.push((e, s) => {
        const x = get(e, s);
        return x === null || x === '';
      });
      continue;
    }
    if (NUMERIC_OPS.has(op)) {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) return bad(`|${op} needs a number, got ${JSON.stringify(v)}`);
      if (def.type === 'boolean') return bad(`field "${field}" is true/false, not a number`);
      const num = (x: string | number | boolean | null): number =>
        typeof x === 'number' ? x : typeof x === 'string' && x !== '' ? Number(x) : NaN;
      preds.push(
        op === 'gt'
          ? (e, s) => num(get(e, s)) > n
          : op === 'gte'
            ? (e, s) => num(get(e, s)) >= n
            : op === 'lt'
              ? (e, s) => num(get(e, s)) < n
              : (e, s) => num(get(e, s)) <= n,
      );
      continue;
    }
    if (def.type === 'boolean') {
      if (typeof v !== 'boolean' || op !== 'eq') return bad(`field "${field}" takes true, false or null`);
      preds.push((e, s) => get(e, s) === v);
      continue;
    }
    if (typeof v === 'boolean') return bad(`field "${field}" is text; ${v} is not a text value`);
    if (def.type === 'number') {
      if (op !== 'eq' || typeof v !== 'number')
        return bad(`field "${field}" is a number: use a number or |gt, |lt`);
      preds.push((e, s) => get(e, s) === v);
      continue;
    }
    const text = String(v);
    if (op === 'cidr') {
      if (!def.ip) return bad(`|cidr applies to address fields (srcIp), not "${field}"`);
      if (parseCidr(text) === null) return bad(`invalid CIDR ${JSON.stringify(text)}`);
      const list = blockListOf([text]);
      preds.push((e, s) => {
        const x = get(e, s);
        return typeof x === 'string' && ipInList(list, x);
      });
      continue;
    }
    if (op === 're') {
      let re: RegExp;
      try {
        re = new RegExp(text, (has('i') ? 'i' : '') + (has('m') ? 'm' : '') + (has('s') ? 's' : ''));
      } catch (err) {
        return bad(`invalid regular expression ${JSON.stringify(text)}: ${(err as Error).message}`);
      }
      preds.push((e, s) => {
        const x = get(e, s);
        return typeof x === 'string' && re.test(x);
      });
      continue;
    }
    preds.push(stringMatcher(get, def, op, text, has('cased')));
  }
  if (has('all')) return allOf(preds);
  // A list of plain values: one Set lookup instead of a chain of comparisons.
  if (
    op === 'eq' &&
    def.type === 'string' &&
    !has('cased') &&
    values.length > 3 &&
    values.every((v) => typeof v === 'string' || typeof v === 'number') &&
    values.every((v) => globSource(String(v)) === null)
  ) {
    const set = new Set((values as (string | number)[]).map((v) => unescapeLiteral(String(v)).toLowerCase()));
    const fold = !def.lowercase;
    return (e, s) => {
      const x = get(e, s);
      return typeof x === 'string' && (set.has(x) || (fold && set.has(x.toLowerCase())));
    };
  }
  return anyOf(preds);
}

function compileMap(map: Record<string, unknown>, path: string, errs: RuleIssue[]): CompiledSelection | null {
  const keys = Object.keys(map);
  if (keys.length === 0) {
    errs.push({ path, message: 'an empty selection matches nothing' });
    return null;
  }
  const preds: Pred[] = [];
  const before = errs.length;
  for (const k of keys) {
    const p = compileItem(k, map[k], `${path}.${k}`, errs);
    if (p) preds.push(p);
  }
  // Cheap, selective items first: stored booleans (isMsp), closed-list fields, other text, then
  // fields derived from the tenant context.
  const order = (k: string): number => {
    const d = fieldDef(k.split('|')[0]!);
    return d?.derived ? 3 : d?.type === 'boolean' ? 0 : d?.lowercase ? 1 : 2;
  };
  const sorted = keys.map((k, i) => [order(k), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (errs.length > before) return null;
  return { pred: allOf(sorted.map(([, i]) => preds[i]!)), req: reqOfMap(map, (x) => globSource(x) === null) };
}

/** A named selection: a map (AND of its items) or a list of maps (OR). */
export function compileSelection(value: unknown, path: string, errs: RuleIssue[]): CompiledSelection | null {
  if (isMap(value)) return compileMap(value, path, errs);
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every(isMap)) {
      errs.push({
        path,
        message: 'a selection is a map of fields or a list of such maps (keyword lists are not supported)',
      });
      return null;
    }
    const parts = value.map((m, i) => compileMap(m, `${path}[${i}]`, errs));
    if (parts.some((p) => p === null)) return null;
    const ok = parts as CompiledSelection[];
    return { pred: anyOf(ok.map((p) => p.pred)), req: ok.map((p) => p.req).reduce(either) };
  }
  errs.push({ path, message: 'a selection is a map of fields or a list of such maps' });
  return null;
}
