import { ANY, both, either } from './dispatch.ts';
import { allOf, anyOf, type CompiledSelection, type Pred } from './selection.ts';

/**
 * Sigma conditions: `and`, `or`, `not`, parentheses, selection names, and the quantifiers
 * `1 of <pattern>`, `any of <pattern>`, `all of <pattern>` where the pattern is a name with `*`
 * wildcards or `them` (every selection whose name does not start with `_`).
 * Precedence: not > and > or. Compiles to one predicate and the event classes and outcomes it can match.
 */
type Node =
  | { k: 'sel'; name: string }
  | { k: 'not'; a: Node }
  | { k: 'and' | 'or'; a: Node; b: Node }
  | { k: 'of'; all: boolean; names: string[] };

const TOKEN_RE = /\s*(\(|\)|[A-Za-z0-9_*.-]+)/y;

export class ConditionError extends Error {}

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN_RE.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN_RE.lastIndex = at;
    const m = TOKEN_RE.exec(text);
    if (!m)
      throw new ConditionError(`unexpected character ${JSON.stringify(text.slice(at).trim()[0])} at ${at}`);
    out.push(m[1]!);
    at = TOKEN_RE.lastIndex;
  }
  return out;
}

export function parseCondition(text: string, names: readonly string[]): Node {
  const toks = tokenize(text);
  let i = 0;
  const peek = (): string | undefined => toks[i];
  const lower = (t: string | undefined): string | undefined => t?.toLowerCase();
  const expand = (pattern: string): string[] => {
    if (pattern.toLowerCase() === 'them') return names.filter((n) => !n.startsWith('_'));
    const re = new RegExp(
      '^' +
        pattern
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
          .join('.*') +
        '$',
    );
    const hit = names.filter((n) => re.test(n));
    if (hit.length === 0) throw new ConditionError(`"${pattern}" matches no selection`);
    return hit;
  };
  const primary = (): Node => {
    const t = peek();
    if (t === undefined) throw new ConditionError('the condition ends too early');
    if (t === '(') {
      i++;
      const n = orExpr();
      if (peek() !== ')') throw new ConditionError('a "(" is not closed');
      i++;
      return n;
    }
    if (t === ')') throw new ConditionError('unexpected ")"');
    const lt = t.toLowerCase();
    if (lt === 'not') {
      i++;
      return { k: 'not', a: primary() };
    }
    if (lt === 'and' || lt === 'or' || lt === 'of') throw new ConditionError(`unexpected "${t}"`);
    if ((lt === '1' || lt === 'all' || lt === 'any') && lower(toks[i + 1]) === 'of') {
      const pattern = toks[i + 2];
      if (pattern === undefined || pattern === '(' || pattern === ')') {
        throw new ConditionError(`"${t} of" needs a selection name pattern or "them"`);
      }
      i += 3;
      return { k: 'of', all: lt === 'all', names: expand(pattern) };
    }
    if (t.includes('*')) throw new ConditionError(`a wildcard name "${t}" needs "1 of" or "all of"`);
    if (!names.includes(t)) throw new ConditionError(`selection "${t}" is not defined`);
    i++;
    return { k: 'sel', name: t };
  };
  const andExpr = (): Node => {
    let n = primary();
    while (lower(peek()) === 'and') {
      i++;
      n = { k: 'and', a: n, b: primary() };
    }
    return n;
  };
  const orExpr = (): Node => {
    let n = andExpr();
    while (lower(peek()) === 'or') {
      i++;
      n = { k: 'or', a: n, b: andExpr() };
    }
    return n;
  };
  if (toks.length === 0) throw new ConditionError('the condition is empty');
  const node = orExpr();
  if (i < toks.length) throw new ConditionError(`unexpected "${toks[i]}" after a complete condition`);
  return node;
}

export function compileCondition(
  node: Node,
  sels: ReadonlyMap<string, CompiledSelection>,
): CompiledSelection {
  switch (node.k) {
    case 'sel':
      return sels.get(node.name)!;
    case 'not': {
      const a = compileCondition(node.a, sels).pred;
      return { pred: (e, s) => !a(e, s), req: ANY };
    }
    case 'and': {
      const a = compileCondition(node.a, sels);
      const b = compileCondition(node.b, sels);
      return { pred: allOf([a.pred, b.pred]), req: both(a.req, b.req) };
    }
    case 'or': {
      const a = compileCondition(node.a, sels);
      const b = compileCondition(node.b, sels);
      return { pred: anyOf([a.pred, b.pred]), req: either(a.req, b.req) };
    }
    case 'of': {
      const parts = node.names.map((n) => sels.get(n)!);
      const reqs = parts.map((p) => p.req);
      return node.all
        ? { pred: allOf(parts.map((p) => p.pred)), req: reqs.reduce(both) }
        : { pred: anyOf(parts.map((p) => p.pred)), req: reqs.reduce(either) };
    }
  }
}

export function conditionPred(text: string, sels: ReadonlyMap<string, CompiledSelection>): CompiledSelection {
  return compileCondition(parseCondition(text, [...sels.keys()]), sels);
}

export type { Pred };
