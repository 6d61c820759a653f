import type { Catalog, CatalogControl, CatalogParameter } from '@accord/contracts';
import { OSCAL_VERSION } from './oscal-schemas.ts';
import { ACCORD_NS, objectiveId, oscalControlId, oscalParamId, uuidFor } from './oscal-ids.ts';

/**
 * Accord's catalog as an OSCAL catalog. Each group becomes a group, each control a control with
 * its parameters (values = defaults, floors and ceilings as constraints), its objective as the
 * statement, the advisory text as guidance, its targets as the assessment objective and its
 * verification logic as the assessment method. Accord's own attributes travel as props in
 * ACCORD_NS; framework mappings as `mapping` props whose class names the framework.
 */

type Prop = { name: string; value: string; ns?: string; class?: string };

const prop = (name: string, value: string | number, cls?: string): Prop => ({
  ns: ACCORD_NS,
  name,
  value: String(value),
  ...(cls ? { class: cls } : {}),
});

/** An OSCAL parameter value is a string; lists become one value per item. */
export function paramValues(v: number | boolean | string | string[]): string[] {
  return Array.isArray(v) ? (v.length ? v.map(String) : []) : [String(v)];
}

function param(c: CatalogControl, p: CatalogParameter) {
  const constraints: { description: string }[] = [];
  if (p.floor !== undefined)
    constraints.push({ description: `At least ${p.floor} without a recorded override.` });
  if (p.ceiling !== undefined)
    constraints.push({ description: `At most ${p.ceiling} without a recorded override.` });
  const values = paramValues(p.default);
  return {
    id: oscalParamId(c.id, p.name),
    props: [prop('name', p.name), prop('type', p.type), ...(p.unit ? [prop('unit', p.unit)] : [])],
    label: p.name.replaceAll('_', ' '),
    usage: p.description,
    ...(values.length ? { values } : {}),
    ...(constraints.length ? { constraints } : {}),
  };
}

export function targetText(c: CatalogControl): string {
  return c.targets
    .map(
      (t) =>
        `${t.metric} ${t.op} ${t.param ? `{{ insert: param, ${oscalParamId(c.id, t.param)} }}` : String(t.value)}`,
    )
    .join('; ');
}

function control(c: CatalogControl) {
  const id = oscalControlId(c.id);
  const mappings = Object.entries(c.mappings).flatMap(([framework, ids]) =>
    ids.map((m) => prop('mapping', m, framework.replaceAll('_', '-'))),
  );
  return {
    id,
    class: 'accord-control',
    title: c.title,
    ...(c.parameters.length ? { params: c.parameters.map((p) => param(c, p)) } : {}),
    props: [
      { name: 'label', value: c.id },
      prop('default-owner', c.default_owner),
      prop('basis', c.basis),
      prop('verification-mode', c.verification.mode),
      prop('cadence', c.cadence),
      prop('notification-sla-hours', c.notification_sla_hours),
      ...c.verification.sources.map((s) => prop('data-source', s)),
      ...mappings,
    ],
    parts: [
      { id: `${id}_smt`, name: 'statement', prose: c.objective },
      { id: `${id}_gdn`, name: 'guidance', prose: c.advisory },
      { id: objectiveId(c.id), name: 'assessment-objective', prose: targetText(c) },
      {
        id: `${id}_mth`,
        name: 'assessment-method',
        props: [{ name: 'method', value: c.verification.mode === 'attested' ? 'EXAMINE' : 'TEST' }],
        prose: c.verification.logic,
      },
    ],
  };
}

export const catalogUuid = (catalog: Catalog) =>
  uuidFor('catalog', catalog.catalog.id, catalog.catalog.version);

export function catalogToOscal(catalog: Catalog) {
  const info = catalog.catalog;
  const at = `${info.published}T00:00:00Z`;
  return {
    catalog: {
      uuid: catalogUuid(catalog),
      metadata: {
        title: info.title,
        published: at,
        'last-modified': at,
        version: info.version,
        'oscal-version': OSCAL_VERSION,
        props: [prop('catalog-id', info.id)],
        remarks: info.source,
      },
      groups: catalog.groups.map((g) => ({
        id: g.id.toLowerCase(),
        class: 'accord-group',
        title: g.title,
        parts: [{ id: `${g.id.toLowerCase()}_ovw`, name: 'overview', prose: g.description }],
        controls: catalog.controls.filter((c) => c.group === g.id).map(control),
      })),
    },
  };
}
