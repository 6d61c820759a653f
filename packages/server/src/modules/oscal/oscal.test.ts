import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AgreementContent } from '@accord/contracts';
import { loadCatalog } from '../catalog/catalog.loader.ts';
import { buildControls } from '../agreements/agreement-content.ts';
import { AppError } from '../../platform/errors.ts';
import { catalogToOscal } from './oscal-catalog.ts';
import { agreementToComponentDefinition, agreementToProfile, type VersionInfo } from './oscal-agreement.ts';
import { resultsToAssessmentResults, resultsToPoam, type ResultRow } from './oscal-results.ts';
import { checkIntegrity } from './oscal-integrity.ts';
import { validateOscal, type OscalModel } from './oscal-schemas.ts';
import { readOscal } from './oscal-import.ts';

const catalog = loadCatalog();
const lookup = (id: string) => catalog.controls.find((c) => c.id === id);

function content(): AgreementContent {
  const controls = buildControls(
    lookup,
    [
      { controlId: 'LOG-01', parameters: { log_retention_days: 365 } },
      { controlId: 'MFA-01', owner: 'shared' },
      {
        controlId: 'IRP-01',
        cadence: 'monthly',
        notificationSlaHours: 24,
        parameters: { plan_review_days: 400 },
        overrides: [{ parameter: 'plan_review_days', justification: 'Board meets every 13 months' }],
      },
      { controlId: 'BCK-01' },
    ],
    'msp-admin@example.test',
  );
  return {
    agreementId: '0b9c3d43-3f7f-4a55-9d5b-8f6c1b1e2a10',
    title: 'Managed security schedule',
    version: 2,
    catalog: { id: catalog.catalog.id, version: catalog.catalog.version },
    msp: { id: '11111111-2222-4333-8444-555555555555', name: 'Northwind MSP' },
    customer: { id: '66666666-7777-4888-9999-000000000000', name: 'Tailspin Toys' },
    controls,
  };
}
const version = (): VersionInfo => ({
  content: content(),
  digest: 'sha256:' + 'ab'.repeat(32),
  state: 'active',
  at: new Date('2026-10-01T09:00:00Z'),
});
const rows: ResultRow[] = [
  row('LOG-01', 'pass', [{ type: 'log_source', id: 'src-1', summary: 'sshd: 400 days held' }]),
  row('MFA-01', 'fail', []),
  row('IRP-01', 'unknown', []),
  row('BCK-01', 'partial', [{ type: 'import', id: 'imp-9', summary: 'backup report of 2026-10-02' }]),
];
function row(controlId: string, status: ResultRow['status'], evidence: ResultRow['evidence']): ResultRow {
  return {
    controlId,
    owner: 'msp',
    verification: 'automatic',
    status,
    reason: `${controlId} is ${status}`,
    observed: { value: 3 },
    expected: { value: 0 },
    evidence,
    dataAt: '2026-10-02T08:00:00.000Z',
    evaluatedAt: '2026-10-02T09:00:00.000Z',
  };
}

const valid = (model: OscalModel, doc: unknown) => {
  expect(validateOscal(model, doc)).toEqual([]);
  expect(checkIntegrity(doc, catalog)).toEqual([]);
};

describe('OSCAL export', () => {
  it('exports the catalog as a schema-valid OSCAL catalog with every control, parameter and mapping', () => {
    const doc = catalogToOscal(catalog);
    valid('catalog', doc);
    const controls = doc.catalog.groups.flatMap((g) => g.controls);
    expect(controls).toHaveLength(catalog.controls.length);
    const log01 = controls.find((c) => c.id === 'log-01')!;
    const src = lookup('LOG-01')!;
    expect(log01.title).toBe(src.title);
    expect(log01.params!.map((p) => p.id)).toEqual(src.parameters.map((p) => `log-01_prm_${p.name}`));
    expect(log01.props.filter((p) => p.name === 'mapping').map((p) => p.value)).toEqual(
      Object.values(src.mappings).flat(),
    );
    expect(doc.catalog.metadata.version).toBe(catalog.catalog.version);
  });

  it('exports a version as a profile and a component definition that validate, deterministically', () => {
    const p = agreementToProfile(version(), catalog);
    valid('profile', p);
    expect(p.profile.imports[0]!['include-controls'][0]!['with-ids']).toEqual(
      content().controls.map((c) => c.controlId.toLowerCase()),
    );
    expect(p.profile.modify['set-parameters']).toContainEqual({
      'param-id': 'log-01_prm_log_retention_days',
      values: ['365'],
    });
    expect(JSON.stringify(agreementToProfile(version(), catalog))).toBe(JSON.stringify(p));

    const cd = agreementToComponentDefinition(version());
    valid('component-definition', cd);
    const [msp, customer] = cd['component-definition'].components;
    const ids = (c: typeof msp) =>
      c!['control-implementations']![0]!['implemented-requirements'].map((r) => r['control-id']);
    // MFA-01 is shared: both parties implement it.
    expect(ids(msp)).toContain('mfa-01');
    expect(ids(customer)).toEqual(expect.arrayContaining(['mfa-01']));
  });

  it('exports results as assessment results and failing controls as a POA&M', () => {
    const ar = resultsToAssessmentResults(version(), rows);
    valid('assessment-results', ar);
    const findings = ar['assessment-results'].results[0]!.findings!;
    const state = (id: string) => findings.find((f) => f.title.startsWith(id))!.target.status;
    expect(state('LOG-01')).toEqual({ state: 'satisfied', reason: 'pass' });
    expect(state('MFA-01')).toEqual({ state: 'not-satisfied', reason: 'fail' });
    expect(state('IRP-01')).toEqual({ state: 'not-satisfied', reason: 'other' });
    const obs = ar['assessment-results'].results[0]!.observations!;
    expect(obs[0]!['relevant-evidence']).toEqual([
      expect.objectContaining({ href: 'urn:accord:log_source:src-1', description: 'sshd: 400 days held' }),
    ]);

    const poam = resultsToPoam(version(), rows);
    valid('plan-of-action-and-milestones', poam);
    expect(poam['plan-of-action-and-milestones']['poam-items'].map((i) => i.title.slice(0, 6))).toEqual([
      'MFA-01',
      'BCK-01',
    ]);
    // Nothing failing still gives a valid plan, saying so.
    const clean = resultsToPoam(version(), [rows[0]!]);
    valid('plan-of-action-and-milestones', clean);
    expect(clean['plan-of-action-and-milestones']['poam-items'][0]!.title).toBe('No failing controls');
  });

  it('catches what the schema cannot: a repeated uuid and a reference that does not resolve', () => {
    const ar = resultsToAssessmentResults(version(), rows);
    const r = ar['assessment-results'].results[0]!;
    r.observations![1]!.uuid = r.observations![0]!.uuid;
    r.findings![0]!.target['target-id'] = 'zzz-99_obj';
    const problems = checkIntegrity(ar, catalog);
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          path: '$.assessment-results.results[0].observations[1].uuid',
          message: expect.stringContaining('repeats the uuid'),
        },
        {
          path: '$.assessment-results.results[0].findings[0].target.target-id',
          message: 'refers to target zzz-99_obj, which does not resolve',
        },
      ]),
    );
  });
});

describe('OSCAL import', () => {
  const examples = [
    'ifa_assessment-results-example.json',
    'ifa_plan-of-action-and-milestones.json',
    'ifa_ssp-example.json',
  ];
  it.each(examples)("reads NIST's example %s without error", (file) => {
    const doc = JSON.parse(readFileSync(new URL(`../../../oscal/examples/${file}`, import.meta.url), 'utf8'));
    const r = readOscal(doc, catalog);
    expect(r.oscalVersion).toMatch(/^1\./);
    expect(r.title.length).toBeGreaterThan(0);
    // Each example holds something Accord reads out: controls it names, findings or POA&M items.
    expect(r.controls.length + (r.counts['poam-items'] ?? 0)).toBeGreaterThan(0);
    expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('round-trips a profile: the same controls, parameters, owners, cadences and overrides', () => {
    const c = content();
    const back = readOscal(agreementToProfile(version(), catalog), catalog);
    expect(back.model).toBe('profile');
    expect(back.warnings).toEqual([]);
    expect(back.agreementControls!.map((x) => x.controlId)).toEqual(c.controls.map((x) => x.controlId));
    for (const x of c.controls) {
      const y = back.agreementControls!.find((d) => d.controlId === x.controlId)!;
      expect(y.parameters).toEqual(x.parameters);
      expect([y.owner, y.verification, y.cadence, y.notificationSlaHours]).toEqual([
        x.owner,
        x.verification,
        x.cadence,
        x.notificationSlaHours,
      ]);
    }
    const rebuilt = buildControls(lookup, back.agreementControls!, 'msp-admin@example.test');
    expect(rebuilt).toEqual(c.controls);
  });

  it('round-trips the catalog: every control and parameter comes back', () => {
    const back = readOscal(catalogToOscal(catalog), catalog);
    expect(back.controls.map((x) => x.accordControlId)).toEqual(catalog.controls.map((c) => c.id));
    expect(back.parameters).toHaveLength(catalog.controls.reduce((n, c) => n + c.parameters.length, 0));
  });

  it('refuses malformed OSCAL with the JSON path and the reason', () => {
    const p = agreementToProfile(version(), catalog) as { profile: Record<string, unknown> };
    delete p.profile.imports;
    (p.profile.metadata as Record<string, unknown>).version = 7;
    const err = (() => {
      try {
        readOscal(p, catalog);
      } catch (e) {
        return e as AppError;
      }
      throw new Error('accepted');
    })();
    expect(err.code).toBe('validation_failed');
    const problems = (err.details as { problems: { path: string; message: string }[] }).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '$.profile', message: 'lacks the required property "imports"' },
        { path: '$.profile.metadata.version', message: 'must be string' },
      ]),
    );
    expect(() => readOscal({ catalogue: {} }, catalog)).toThrow(/not an OSCAL document/);
    expect(() => readOscal([1, 2], catalog)).toThrow(/not an OSCAL document/);
  });
});
