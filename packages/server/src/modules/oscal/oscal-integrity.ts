import type { Catalog } from '@accord/contracts';
import { catalogToOscal } from './oscal-catalog.ts';
import type { OscalProblem } from './oscal-schemas.ts';
import { jsonPath } from './oscal-schemas.ts';

/**
 * Checks the schemas cannot express: every `uuid` defined once, and every reference resolving —
 * uuid references (`*-uuid`, `party-uuids`), `#uuid` links to back-matter resources, role ids to
 * the metadata's roles, and control, parameter and part ids to the catalog (the document itself
 * when it is the catalog, else Accord's catalog export).
 */

type Json = unknown;

interface Index {
  uuids: Map<string, string>;
  resources: Set<string>;
  roles: Set<string>;
  ids: Map<string, string>;
}

function walk(
  node: Json,
  path: string,
  visit: (key: string, value: Json, path: string, parent: object) => void,
) {
  if (Array.isArray(node)) node.forEach((x, i) => walk(x, `${path}/${i}`, visit));
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      visit(k, v, `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`, node);
      walk(v, `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`, visit);
    }
}

/** Ids of the catalog a document refers to: controls, parameters and parts. */
export function catalogIds(oscalCatalog: Json): Set<string> {
  const ids = new Set<string>();
  walk(oscalCatalog, '', (k, v, _p, parent) => {
    if (k === 'id' && typeof v === 'string' && !('role-id' in parent)) ids.add(v);
  });
  return ids;
}

let accordIds: { catalog: Catalog; ids: Set<string> } | undefined;
function idsOf(catalog: Catalog) {
  if (accordIds?.catalog !== catalog) accordIds = { catalog, ids: catalogIds(catalogToOscal(catalog)) };
  return accordIds.ids;
}

export function checkIntegrity(doc: Json, catalog: Catalog): OscalProblem[] {
  const problems: OscalProblem[] = [];
  const ix: Index = { uuids: new Map(), resources: new Set(), roles: new Set(), ids: new Map() };
  const isCatalog = !!doc && typeof doc === 'object' && 'catalog' in doc;
  walk(doc, '', (k, v, path, parent) => {
    if (k === 'uuid' && typeof v === 'string') {
      if (ix.uuids.has(v))
        problems.push({
          path: jsonPath(path),
          message: `repeats the uuid ${v} first defined at ${ix.uuids.get(v)}`,
        });
      else ix.uuids.set(v, jsonPath(path));
      if (path.includes('/back-matter/resources/')) ix.resources.add(v);
    }
    if (k === 'roles' && Array.isArray(v))
      for (const r of v as { id?: string }[]) if (r.id) ix.roles.add(r.id);
    if (isCatalog && k === 'id' && typeof v === 'string' && !('role-id' in parent)) {
      if (ix.ids.has(v)) problems.push({ path: jsonPath(path), message: `repeats the id ${v}` });
      else ix.ids.set(v, jsonPath(path));
    }
  });
  const known = isCatalog ? new Set(ix.ids.keys()) : idsOf(catalog);
  const ref = (path: string, ok: boolean, what: string) => {
    if (!ok) problems.push({ path: jsonPath(path), message: `refers to ${what}, which does not resolve` });
  };
  walk(doc, '', (k, v, path) => {
    if (typeof v === 'string') {
      if (k.endsWith('-uuid')) ref(path, ix.uuids.has(v), `uuid ${v}`);
      if ((k === 'href' || k === 'source') && v.startsWith('#'))
        ref(path, ix.resources.has(v.slice(1)), `resource ${v}`);
      if (k === 'role-id') ref(path, ix.roles.has(v), `role ${v}`);
      if (k === 'control-id' || k === 'param-id' || k === 'target-id')
        ref(path, known.has(v), `${k.slice(0, -3)} ${v}`);
      if (k === 'prose')
        for (const m of v.matchAll(/\{\{\s*insert:\s*param,\s*([^\s}]+)\s*\}\}/g))
          ref(path, known.has(m[1]!), `parameter ${m[1]}`);
    }
    if (Array.isArray(v) && (k === 'party-uuids' || k === 'with-ids'))
      v.forEach((x, i) =>
        ref(
          `${path}/${i}`,
          typeof x === 'string' && (k === 'with-ids' ? known.has(x) : ix.uuids.has(x)),
          `${k === 'with-ids' ? 'control' : 'party'} ${String(x)}`,
        ),
      );
  });
  return problems;
}
