import type { Catalog, CatalogControl } from '@accord/contracts';
import { AppError } from '../../platform/errors.ts';
import { ACCORD_NS, accordControlId } from './oscal-ids.ts';
import { modelOf, OSCAL_MODELS, validateOscal, type OscalModel } from './oscal-schemas.ts';

/**
 * Reads an OSCAL document: checks it against its model's schema (problems carry the JSON path) and
 * extracts what Accord can use. A catalog or profile gives a set of controls with parameters; a
 * profile whose controls are Accord's (exported by Accord, or written against its catalog) also
 * gives the control list of a draft agreement, parameters typed from the catalog. Any other model
 * (component definition, SSP, assessment results, POA&M) gives the controls it references.
 */

type Value = number | boolean | string | string[];
type Obj = Record<string, unknown>;

export interface ImportedControl {
  id: string;
  title: string | null;
  /** The Accord catalog control with that id, if there is one. */
  accordControlId: string | null;
}
export interface AgreementControlDraft {
  controlId: string;
  owner?: 'msp' | 'customer' | 'shared';
  verification?: 'automatic' | 'attested' | 'hybrid';
  cadence?: CatalogControl['cadence'];
  notificationSlaHours?: number;
  parameters: Record<string, Value>;
  overrides: { parameter: string; justification: string }[];
}
export interface OscalImport {
  model: OscalModel;
  title: string;
  version: string;
  oscalVersion: string;
  controls: ImportedControl[];
  parameters: { id: string; values: string[] }[];
  /** For a profile over Accord's catalog: the controls to start an agreement from. */
  agreementControls: AgreementControlDraft[] | null;
  /** How many of each countable part the document holds (controls, findings, poam-items, ...). */
  counts: Record<string, number>;
  warnings: string[];
}

const COUNTED = [
  'controls',
  'params',
  'components',
  'implemented-requirements',
  'observations',
  'findings',
  'risks',
  'poam-items',
] as const;

function countParts(doc: unknown): Record<string, number> {
  const counts: Record<string, number> = {};
  const visit = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(visit);
    else if (n && typeof n === 'object')
      for (const [k, v] of Object.entries(n)) {
        if ((COUNTED as readonly string[]).includes(k) && Array.isArray(v))
          counts[k] = (counts[k] ?? 0) + v.length;
        visit(v);
      }
  };
  visit(doc);
  return counts;
}

const obj = (x: unknown): Obj => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Obj) : {});
const arr = (x: unknown): Obj[] => (Array.isArray(x) ? (x as Obj[]) : []);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

export function parseOscalJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AppError('validation_failed', `the file is not JSON: ${(e as Error).message}`, {
      problems: [{ path: '$', message: (e as Error).message }],
    });
  }
}

function collectControls(node: unknown, out: Obj[]) {
  for (const c of arr(obj(node).controls)) {
    out.push(c);
    collectControls(c, out);
  }
  for (const g of arr(obj(node).groups)) collectControls(g, out);
}

function referencedControlIds(doc: unknown): string[] {
  const ids = new Set<string>();
  const visit = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(visit);
    else if (n && typeof n === 'object')
      for (const [k, v] of Object.entries(n)) {
        if (k === 'control-id' && typeof v === 'string') ids.add(v);
        else if (k === 'with-ids' && Array.isArray(v)) v.forEach((x) => typeof x === 'string' && ids.add(x));
        else visit(v);
      }
  };
  visit(doc);
  return [...ids];
}

/** An OSCAL string value typed by the Accord parameter it sets. */
function typed(c: CatalogControl, name: string, values: string[], warnings: string[]): Value | undefined {
  const p = c.parameters.find((x) => x.name === name);
  if (!p) return undefined;
  const one = values[0] ?? '';
  switch (p.type) {
    case 'string_list':
      return values;
    case 'boolean':
      if (one === 'true' || one === 'false') return one === 'true';
      break;
    case 'string':
      return one;
    default:
      if (one.trim() !== '' && Number.isFinite(Number(one))) return Number(one);
  }
  warnings.push(`${c.id}.${name}: "${one}" is not a ${p.type}; the catalog default applies`);
  return undefined;
}

function profileControls(profile: Obj, catalog: Catalog, warnings: string[]): AgreementControlDraft[] {
  const byId = new Map(catalog.controls.map((c) => [c.id, c]));
  const selected: string[] = [];
  for (const imp of arr(profile.imports)) {
    if (imp['include-all']) selected.push(...catalog.controls.map((c) => c.id));
    for (const inc of arr(imp['include-controls']))
      for (const id of Array.isArray(inc['with-ids']) ? (inc['with-ids'] as string[]) : [])
        selected.push(accordControlId(id));
  }
  const drafts = new Map<string, AgreementControlDraft>();
  for (const id of selected) {
    if (!byId.has(id)) warnings.push(`control ${id} is not in Accord's catalog; left out`);
    else if (!drafts.has(id)) drafts.set(id, { controlId: id, parameters: {}, overrides: [] });
  }
  const modify = obj(profile.modify);
  for (const sp of arr(modify['set-parameters'])) {
    const m = /^([a-z]{3}-\d{2})_prm_([a-z][a-z0-9_]*)$/.exec(str(sp['param-id']) ?? '');
    const d = m ? drafts.get(accordControlId(m[1]!)) : undefined;
    if (!m || !d) {
      warnings.push(
        `parameter ${String(sp['param-id'])} does not set a parameter of a selected Accord control`,
      );
      continue;
    }
    const v = typed(byId.get(d.controlId)!, m[2]!, (sp.values as string[] | undefined) ?? [], warnings);
    if (v !== undefined) d.parameters[m[2]!] = v;
  }
  for (const alter of arr(modify.alters)) {
    const d = drafts.get(accordControlId(str(alter['control-id']) ?? ''));
    if (!d) continue;
    for (const add of arr(alter.adds))
      for (const p of arr(add.props)) {
        if (p.ns !== ACCORD_NS) continue;
        const value = str(p.value) ?? '';
        if (p.name === 'owner' && ['msp', 'customer', 'shared'].includes(value)) d.owner = value as never;
        if (p.name === 'verification-mode' && ['automatic', 'attested', 'hybrid'].includes(value))
          d.verification = value as never;
        if (p.name === 'cadence') d.cadence = value as never;
        if (p.name === 'notification-sla-hours' && /^\d+$/.test(value))
          d.notificationSlaHours = Number(value);
        if (p.name === 'override')
          d.overrides.push({
            parameter: value,
            justification: (str(p.remarks) ?? '').replace(/ \(agreed value .*\)$/s, ''),
          });
      }
  }
  return [...drafts.values()];
}

export function readOscal(doc: unknown, catalog: Catalog): OscalImport {
  const model = modelOf(doc);
  if (!model)
    throw new AppError('validation_failed', 'this is not an OSCAL document', {
      problems: [
        { path: '$', message: `must have exactly one root property, one of ${OSCAL_MODELS.join(', ')}` },
      ],
    });
  const problems = validateOscal(model, doc);
  if (problems.length)
    throw new AppError(
      'validation_failed',
      `the ${model} is not valid OSCAL ${'1.2.1'}: ${problems[0]!.path} ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      { problems: problems.slice(0, 100) },
    );
  const root = obj(obj(doc)[model]);
  const meta = obj(root.metadata);
  const accord = new Set(catalog.controls.map((c) => c.id));
  const warnings: string[] = [];
  let controls: ImportedControl[];
  let parameters: { id: string; values: string[] }[] = [];
  let agreementControls: AgreementControlDraft[] | null = null;
  const mapId = (id: string) => (accord.has(accordControlId(id)) ? accordControlId(id) : null);
  if (model === 'catalog') {
    const all: Obj[] = [];
    collectControls(root, all);
    controls = all.map((c) => ({
      id: str(c.id)!,
      title: str(c.title) ?? null,
      accordControlId: mapId(str(c.id)!),
    }));
    parameters = all.flatMap((c) =>
      arr(c.params).map((p) => ({ id: str(p.id)!, values: (p.values as string[]) ?? [] })),
    );
  } else {
    controls = referencedControlIds(root).map((id) => ({ id, title: null, accordControlId: mapId(id) }));
    if (model === 'profile') {
      parameters = arr(obj(root.modify)['set-parameters']).map((p) => ({
        id: str(p['param-id'])!,
        values: (p.values as string[]) ?? [],
      }));
      agreementControls = profileControls(root, catalog, warnings);
      if (!agreementControls.length) agreementControls = null;
    }
  }
  return {
    model,
    title: str(meta.title) ?? '',
    version: str(meta.version) ?? '',
    oscalVersion: str(meta['oscal-version']) ?? '',
    controls,
    parameters,
    agreementControls,
    counts: countParts(root),
    warnings,
  };
}
