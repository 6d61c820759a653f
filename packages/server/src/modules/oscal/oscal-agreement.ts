import type { AgreementContent, Catalog } from '@accord/contracts';
import { OSCAL_VERSION } from './oscal-schemas.ts';
import { catalogUuid, paramValues } from './oscal-catalog.ts';
import { ACCORD_NS, oscalControlId, oscalParamId, uuidFor } from './oscal-ids.ts';

/**
 * An agreement version as OSCAL: a profile (the selected controls with their agreed parameter
 * values; owners and recorded overrides as added props) and a component definition (which party
 * implements which control). Both name the parties and link back to the catalog and to each other
 * through back-matter resources, so every reference inside a document resolves inside it.
 */

export interface VersionInfo {
  content: AgreementContent;
  digest: string | null;
  state: string;
  /** When the version last changed state (activation, proposal or creation). */
  at: Date;
}

const prop = (name: string, value: string | number) => ({ ns: ACCORD_NS, name, value: String(value) });

export function partiesOf(content: AgreementContent) {
  const msp = { uuid: uuidFor('party', content.msp.id), type: 'organization', name: content.msp.name };
  const customer = {
    uuid: uuidFor('party', content.customer.id),
    type: 'organization',
    name: content.customer.name,
  };
  return {
    msp,
    customer,
    roles: [
      { id: 'provider', title: 'Managed service provider' },
      { id: 'customer', title: 'Customer' },
    ],
    parties: [msp, customer],
    'responsible-parties': [
      { 'role-id': 'provider', 'party-uuids': [msp.uuid] },
      { 'role-id': 'customer', 'party-uuids': [customer.uuid] },
    ],
  };
}

export function metadataOf(v: VersionInfo, title: string) {
  const p = partiesOf(v.content);
  return {
    title,
    'last-modified': v.at.toISOString(),
    version: String(v.content.version),
    'oscal-version': OSCAL_VERSION,
    props: [
      prop('agreement-id', v.content.agreementId),
      prop('agreement-version', v.content.version),
      prop('agreement-state', v.state),
      ...(v.digest ? [prop('agreement-digest', v.digest)] : []),
      prop('catalog-id', v.content.catalog.id),
      prop('catalog-version', v.content.catalog.version),
    ],
    roles: p.roles,
    parties: p.parties,
    'responsible-parties': p['responsible-parties'],
  };
}

export const profileUuid = (c: AgreementContent) => uuidFor('profile', c.agreementId, c.version);

function catalogResource(catalog: Catalog) {
  return {
    uuid: uuidFor('resource', 'catalog', catalog.catalog.id, catalog.catalog.version),
    title: catalog.catalog.title,
    props: [prop('catalog-version', catalog.catalog.version)],
    rlinks: [{ href: '/api/v1/oscal/catalog', 'media-type': 'application/oscal.catalog+json' }],
    remarks: `OSCAL catalog ${catalogUuid(catalog)}.`,
  };
}

export function agreementToProfile(v: VersionInfo, catalog: Catalog) {
  const c = v.content;
  const res = catalogResource(catalog);
  const setParameters = c.controls.flatMap((x) =>
    Object.entries(x.parameters).map(([name, value]) => ({
      'param-id': oscalParamId(x.controlId, name),
      values: paramValues(value),
    })),
  );
  return {
    profile: {
      uuid: profileUuid(c),
      metadata: metadataOf(v, `${c.title} (version ${c.version})`),
      imports: [
        {
          href: `#${res.uuid}`,
          'include-controls': [{ 'with-ids': c.controls.map((x) => oscalControlId(x.controlId)) }],
        },
      ],
      merge: { 'as-is': true },
      modify: {
        ...(setParameters.length ? { 'set-parameters': setParameters } : {}),
        alters: c.controls.map((x) => ({
          'control-id': oscalControlId(x.controlId),
          adds: [
            {
              position: 'ending',
              props: [
                prop('owner', x.owner),
                prop('verification-mode', x.verification),
                prop('cadence', x.cadence),
                prop('notification-sla-hours', x.notificationSlaHours),
                ...x.overrides.map((o) => ({
                  ...prop('override', o.parameter),
                  remarks: `${o.justification} (agreed value ${JSON.stringify(o.value)} against the limit ${o.limit}, recorded by ${o.recordedBy})`,
                })),
              ],
            },
          ],
        })),
      },
      'back-matter': { resources: [res] },
    },
  };
}

/** Which party implements what: one component per party, listing the controls it owns or shares. */
export function agreementToComponentDefinition(v: VersionInfo) {
  const c = v.content;
  const p = partiesOf(c);
  const profileRes = {
    uuid: uuidFor('resource', 'profile', c.agreementId, c.version),
    title: `${c.title} (version ${c.version}) as an OSCAL profile`,
    rlinks: [
      {
        href: `/api/v1/agreements/${c.agreementId}/versions/${c.version}/oscal/profile`,
        'media-type': 'application/oscal.profile+json',
      },
    ],
    remarks: `OSCAL profile ${profileUuid(c)}.`,
  };
  const component = (side: 'msp' | 'customer') => {
    const party = side === 'msp' ? p.msp : p.customer;
    const role = side === 'msp' ? 'provider' : 'customer';
    const owned = c.controls.filter((x) => x.owner === side || x.owner === 'shared');
    return {
      uuid: uuidFor('component', c.agreementId, c.version, side),
      type: side === 'msp' ? 'service' : 'policy',
      title: side === 'msp' ? `${party.name}: managed services` : `${party.name}: customer responsibilities`,
      description: `The controls ${party.name} implements under "${c.title}" version ${c.version}, alone or shared.`,
      'responsible-roles': [{ 'role-id': role, 'party-uuids': [party.uuid] }],
      'control-implementations': owned.length
        ? [
            {
              uuid: uuidFor('control-implementation', c.agreementId, c.version, side),
              source: `#${profileRes.uuid}`,
              description: `Controls of the agreement owned by ${side === 'msp' ? 'the MSP' : 'the customer'} or shared.`,
              'implemented-requirements': owned.map((x) => ({
                uuid: uuidFor('implemented-requirement', c.agreementId, c.version, side, x.controlId),
                'control-id': oscalControlId(x.controlId),
                description: `${x.title}. Owner: ${x.owner}; verified ${x.verification}, ${x.cadence}.`,
                props: [prop('owner', x.owner), prop('verification-mode', x.verification)],
                'responsible-roles': [{ 'role-id': role, 'party-uuids': [party.uuid] }],
              })),
            },
          ]
        : undefined,
    };
  };
  const components = [component('msp'), component('customer')].map((x) =>
    x['control-implementations'] ? x : { ...x, 'control-implementations': undefined },
  );
  return {
    'component-definition': {
      uuid: uuidFor('component-definition', c.agreementId, c.version),
      metadata: metadataOf(v, `${c.title} (version ${c.version}): who implements what`),
      components: JSON.parse(JSON.stringify(components)) as typeof components,
      'back-matter': { resources: [profileRes] },
    },
  };
}
