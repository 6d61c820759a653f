import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * NIST OSCAL 1.2.1 JSON schemas (public domain, vendored under packages/server/oscal/schemas) and
 * their validators. Each schema compiles once, on first use, in Ajv's strict mode.
 */
export const OSCAL_VERSION = '1.2.1';

export const OSCAL_MODELS = [
  'catalog',
  'profile',
  'component-definition',
  'system-security-plan',
  'assessment-results',
  'plan-of-action-and-milestones',
] as const;
export type OscalModel = (typeof OSCAL_MODELS)[number];

const SCHEMA_FILE: Record<OscalModel, string> = {
  catalog: 'oscal_catalog_schema.json',
  profile: 'oscal_profile_schema.json',
  'component-definition': 'oscal_component_schema.json',
  'system-security-plan': 'oscal_ssp_schema.json',
  'assessment-results': 'oscal_assessment-results_schema.json',
  'plan-of-action-and-milestones': 'oscal_poam_schema.json',
};

/** One reason a document is not valid OSCAL, with the JSON path (`$.a.b[0]`) it concerns. */
export interface OscalProblem {
  path: string;
  message: string;
}

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

const validators = new Map<OscalModel, ValidateFunction>();

function validatorFor(model: OscalModel): ValidateFunction {
  let v = validators.get(model);
  if (!v) {
    const url = new URL(`../../../oscal/schemas/${SCHEMA_FILE[model]}`, import.meta.url);
    const schema = JSON.parse(readFileSync(url, 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    v = ajv.compile(schema);
    validators.set(model, v);
  }
  return v;
}

function describe(e: ErrorObject): OscalProblem {
  const p = e.params as Record<string, unknown>;
  let message = e.message ?? 'is not valid';
  if (e.keyword === 'additionalProperties')
    message = `has an unknown property "${String(p.additionalProperty)}"`;
  else if (e.keyword === 'required') message = `lacks the required property "${String(p.missingProperty)}"`;
  else if (e.keyword === 'enum') message = `must be one of ${JSON.stringify(p.allowedValues)}`;
  return { path: jsonPath(e.instancePath), message };
}

/** `/catalog/groups/0/id` -> `$.catalog.groups[0].id` (the form people read in error messages). */
export function jsonPath(pointer: string): string {
  let out = '$';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^\d+$/.test(seg)
      ? `[${seg}]`
      : /^[A-Za-z_$][\w$-]*$/.test(seg)
        ? `.${seg}`
        : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Validates a document against its model's schema. Ajv reports every failed branch of an `anyOf`;
 * the problems are de-duplicated by path and message and the most specific (deepest) come first.
 */
export function validateOscal(model: OscalModel, doc: unknown): OscalProblem[] {
  const v = validatorFor(model);
  if (v(doc)) return [];
  const seen = new Set<string>();
  const out: OscalProblem[] = [];
  for (const e of v.errors ?? []) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const d = describe(e);
    const key = `${d.path} ${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  out.sort((a, b) => b.path.split('/').length - a.path.split('/').length || a.path.localeCompare(b.path));
  return out.length ? out : [{ path: '$', message: 'is not valid' }];
}

/** The model of an OSCAL document: the one root property it has. */
export function modelOf(doc: unknown): OscalModel | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const keys = Object.keys(doc).filter((k) => k !== '$schema');
  if (keys.length !== 1) return undefined;
  return (OSCAL_MODELS as readonly string[]).includes(keys[0]!) ? (keys[0] as OscalModel) : undefined;
}
