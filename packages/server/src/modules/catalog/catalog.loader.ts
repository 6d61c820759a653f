import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { ZodIssue } from 'zod';
import { Catalog, type CatalogParameter } from '@accord/contracts';
import { checkParameterValue } from './catalog.params.ts';

/** The catalog Accord ships: packages/server/catalog/accord-catalog.yaml. */
export const DEFAULT_CATALOG_FILE = fileURLToPath(
  new URL('../../../catalog/accord-catalog.yaml', import.meta.url),
);

type PathSegment = string | number;

/**
 * The catalog file could not be loaded. `line` and `column` are 1-based and point at the offending
 * YAML node (or, if the node is missing, at its nearest existing parent).
 */
export class CatalogLoadError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Where in the catalog the problem is, e.g. `controls[4].cadence`; empty for YAML syntax errors. */
  readonly path: string;
  /** The problem itself, without the location prefix. */
  readonly reason: string;

  constructor(opts: { file: string; line: number; column: number; path: string; reason: string }) {
    const where = opts.path ? `${opts.path}: ` : '';
    super(`${opts.file}:${opts.line}:${opts.column}: ${where}${opts.reason}`);
    this.name = 'CatalogLoadError';
    this.file = opts.file;
    this.line = opts.line;
    this.column = opts.column;
    this.path = opts.path;
    this.reason = opts.reason;
  }
}

/** `controls[4].targets[0].param` */
export function formatCatalogPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function startOf(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

/**
 * Source offset of the node at `path`. For a map entry this is its key (so a nested block points at the
 * line that names it); for a sequence item, the item itself. If part of the path does not exist in the
 * document, the deepest existing ancestor is used.
 */
function offsetOf(doc: Document, path: readonly PathSegment[]): number {
  let node: unknown = doc.contents;
  let best = startOf(node) ?? 0;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) break;
      best = startOf(pair.key) ?? startOf(pair.value) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      const at = startOf(item);
      if (at === undefined) break;
      best = at;
      node = item;
    } else {
      break;
    }
  }
  return best;
}

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
  ) {}

  error(path: readonly PathSegment[], reason: string): CatalogLoadError {
    const { line, col } = this.lines.linePos(offsetOf(this.doc, path));
    return new CatalogLoadError({
      file: this.file,
      line,
      column: col,
      path: formatCatalogPath(path),
      reason,
    });
  }
}

function issuePath(issue: ZodIssue): PathSegment[] {
  // Point an unknown key at the key itself rather than at the object holding it.
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined)
    return [...issue.path, issue.keys[0]];
  return [...issue.path];
}

const NUMERIC_TYPES: ReadonlySet<CatalogParameter['type']> = new Set(['integer', 'number', 'ratio']);
const ORDERING_OPS = new Set(['>=', '<=', '>', '<']);

/** Cross-checks the schema cannot express. Throws the first problem found. */
function crossCheck(catalog: Catalog, at: Locator): void {
  const groupIds = new Map<string, number>();
  catalog.groups.forEach((group, g) => {
    if (groupIds.has(group.id)) {
      throw at.error(
        ['groups', g, 'id'],
        `duplicate group id ${group.id} (first defined at groups[${groupIds.get(group.id)}])`,
      );
    }
    groupIds.set(group.id, g);
  });

  const controlIds = new Map<string, number>();
  const usedGroups = new Set<string>();
  catalog.controls.forEach((control, c) => {
    const here = (...rest: PathSegment[]) => ['controls', c, ...rest];

    if (controlIds.has(control.id)) {
      throw at.error(
        here('id'),
        `duplicate control id ${control.id} (first defined at controls[${controlIds.get(control.id)}])`,
      );
    }
    controlIds.set(control.id, c);

    if (!groupIds.has(control.group)) {
      throw at.error(
        here('group'),
        `control ${control.id} names group ${control.group}, which is not in groups`,
      );
    }
    if (!control.id.startsWith(`${control.group}-`)) {
      throw at.error(
        here('id'),
        `control ${control.id} is in group ${control.group}; its id must start with ${control.group}-`,
      );
    }
    usedGroups.add(control.group);

    const params = new Map<string, CatalogParameter>();
    control.parameters.forEach((param, p) => {
      if (params.has(param.name)) {
        throw at.error(
          here('parameters', p, 'name'),
          `duplicate parameter ${param.name} in control ${control.id}`,
        );
      }
      params.set(param.name, param);

      const numeric = NUMERIC_TYPES.has(param.type);
      for (const bound of ['floor', 'ceiling'] as const) {
        const limit = param[bound];
        if (limit === undefined) continue;
        if (!numeric) {
          throw at.error(
            here('parameters', p, bound),
            `${param.name} is ${param.type}; only numeric parameters have a ${bound}`,
          );
        }
        if (param.type === 'ratio' && (limit < 0 || limit > 1)) {
          throw at.error(
            here('parameters', p, bound),
            `${param.name} is a ratio; its ${bound} must be between 0 and 1`,
          );
        }
      }
      if (param.floor !== undefined && param.ceiling !== undefined && param.floor > param.ceiling) {
        throw at.error(
          here('parameters', p, 'floor'),
          `${param.name} has floor ${param.floor} above its ceiling ${param.ceiling}`,
        );
      }

      const check = checkParameterValue(param, param.default);
      if (!check.ok) throw at.error(here('parameters', p, 'default'), `default ${check.message}`);
    });

    control.targets.forEach((target, t) => {
      const ordering = ORDERING_OPS.has(target.op);
      if (target.param !== undefined) {
        const param = params.get(target.param);
        if (!param) {
          throw at.error(
            here('targets', t, 'param'),
            `target ${target.metric} refers to parameter ${target.param}, which control ${control.id} does not define`,
          );
        }
        if (ordering && !NUMERIC_TYPES.has(param.type)) {
          throw at.error(
            here('targets', t, 'param'),
            `target ${target.metric} compares with ${target.op} against ${param.name}, which is ${param.type}, not a number`,
          );
        }
      } else if (ordering && typeof target.value !== 'number') {
        throw at.error(
          here('targets', t, 'value'),
          `target ${target.metric} compares with ${target.op} against a value that is not a number`,
        );
      }
    });
  });

  catalog.groups.forEach((group, g) => {
    if (!usedGroups.has(group.id)) throw at.error(['groups', g, 'id'], `group ${group.id} has no controls`);
  });
}

/**
 * Parse and validate catalog YAML. `file` is only used in error messages. Throws CatalogLoadError,
 * with the line and column of the offending node, on YAML syntax errors, schema violations and
 * cross-reference errors.
 */
export function parseCatalog(text: string, file: string): Catalog {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = lines.linePos(syntax.pos[0]);
    throw new CatalogLoadError({
      file,
      line,
      column: col,
      path: '',
      reason: `YAML syntax error: ${syntax.message}`,
    });
  }
  const at = new Locator(doc, lines, file);

  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    throw at.error([], `cannot read YAML: ${err instanceof Error ? err.message : String(err)}`);
  }

  const parsed = Catalog.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) throw at.error([], 'catalog does not match the schema');
    throw at.error(issuePath(issue), issue.message);
  }
  crossCheck(parsed.data, at);
  return parsed.data;
}

/** Read and validate a catalog file (synchronous: it runs once at boot). */
export function loadCatalog(filePath: string = DEFAULT_CATALOG_FILE): Catalog {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CatalogLoadError({
      file: filePath,
      line: 1,
      column: 1,
      path: '',
      reason: `cannot read catalog file: ${reason}`,
    });
  }
  return parseCatalog(text, filePath);
}
