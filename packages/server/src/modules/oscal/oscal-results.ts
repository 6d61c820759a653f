import type { AgreementContent } from '@accord/contracts';
import { metadataOf, profileUuid, type VersionInfo } from './oscal-agreement.ts';
import { ACCORD_NS, objectiveId, oscalControlId, uuidFor } from './oscal-ids.ts';

/**
 * Verification results as OSCAL: assessment results (one observation and one finding per control
 * of the active version, the evidence Accord used as relevant-evidence) and a plan of action and
 * milestones with one item per failing or partly met control. OSCAL knows only "satisfied" and
 * "not-satisfied": pass is satisfied; fail and partial are not-satisfied with reason "fail";
 * unknown and error are not-satisfied with reason "other" and Accord's status in a prop, because
 * a control Accord cannot show to be met is not met as far as an assessor is concerned.
 */

export interface ResultRow {
  controlId: string;
  owner: string;
  verification: string;
  status: 'pass' | 'fail' | 'partial' | 'unknown' | 'error';
  reason: string;
  observed: Record<string, unknown>;
  expected: Record<string, unknown>;
  evidence: { type: string; id?: string | undefined; summary: string }[];
  dataAt: string | null;
  evaluatedAt: string | null;
}

const prop = (name: string, value: string | number) => ({ ns: ACCORD_NS, name, value: String(value) });

const text = (o: Record<string, unknown>) =>
  Object.keys(o).length
    ? Object.entries(o)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join(', ')
    : 'nothing';

function evidenceOf(r: ResultRow) {
  return r.evidence.map((e) => ({
    href: `urn:accord:${e.type}${e.id ? `:${e.id}` : ''}`,
    description: e.summary || e.type,
    props: [prop('evidence-type', e.type)],
  }));
}

/** The time span the results cover: earliest data to latest evaluation (or the version's time). */
function spanOf(rows: ResultRow[], fallback: Date) {
  const data = rows.map((r) => r.dataAt ?? r.evaluatedAt).filter((x): x is string => !!x);
  const evals = rows.map((r) => r.evaluatedAt).filter((x): x is string => !!x);
  const min = data.length ? data.reduce((a, b) => (a < b ? a : b)) : fallback.toISOString();
  const max = evals.length ? evals.reduce((a, b) => (a > b ? a : b)) : fallback.toISOString();
  return { start: new Date(min).toISOString(), end: new Date(max < min ? min : max).toISOString() };
}

function observationsAndFindings(c: AgreementContent, rows: ResultRow[], fallback: Date) {
  const title = new Map(c.controls.map((x) => [x.controlId, x.title]));
  const observations = rows.map((r) => {
    const ev = evidenceOf(r);
    return {
      uuid: uuidFor('observation', c.agreementId, c.version, r.controlId, r.evaluatedAt ?? ''),
      title: `${r.controlId}: ${r.status}`,
      description: `${r.reason}. Observed: ${text(r.observed)}. Expected: ${text(r.expected)}.`,
      props: [prop('accord-status', r.status), prop('control-id', r.controlId)],
      methods: [r.verification === 'attested' ? 'EXAMINE' : 'TEST'],
      types: ['control-objective'],
      collected: new Date(r.dataAt ?? r.evaluatedAt ?? fallback).toISOString(),
      ...(ev.length ? { 'relevant-evidence': ev } : {}),
    };
  });
  const findings = rows.map((r, i) => ({
    uuid: uuidFor('finding', c.agreementId, c.version, r.controlId, r.evaluatedAt ?? ''),
    title: `${r.controlId}: ${title.get(r.controlId) ?? r.controlId}`,
    description: r.reason,
    props: [prop('accord-status', r.status), prop('owner', r.owner)],
    target: {
      type: 'objective-id',
      'target-id': objectiveId(r.controlId),
      status: {
        state: r.status === 'pass' ? 'satisfied' : 'not-satisfied',
        reason:
          r.status === 'pass' ? 'pass' : r.status === 'fail' || r.status === 'partial' ? 'fail' : 'other',
      },
    },
    'related-observations': [{ 'observation-uuid': observations[i]!.uuid }],
  }));
  return { observations, findings };
}

export function resultsToAssessmentResults(v: VersionInfo, rows: ResultRow[]) {
  const c = v.content;
  const span = spanOf(rows, v.at);
  const { observations, findings } = observationsAndFindings(c, rows, v.at);
  const planRes = {
    uuid: uuidFor('resource', 'assessment-plan', c.agreementId, c.version),
    title: `Accord continuous verification of "${c.title}" version ${c.version}`,
    description: `Every control of the agreement is evaluated on its cadence and when its data changes (OSCAL profile ${profileUuid(c)}).`,
    rlinks: [
      {
        href: `/api/v1/agreements/${c.agreementId}/versions/${c.version}/oscal/profile`,
        'media-type': 'application/oscal.profile+json',
      },
    ],
  };
  const meta = metadataOf({ ...v, at: new Date(span.end) }, `${c.title}: verification results`);
  return {
    'assessment-results': {
      uuid: uuidFor('assessment-results', c.agreementId, c.version, span.end),
      metadata: meta,
      'import-ap': { href: `#${planRes.uuid}` },
      results: [
        {
          uuid: uuidFor('result', c.agreementId, c.version, span.end),
          title: `Verification of ${c.customer.name}'s agreement with ${c.msp.name}`,
          description: rows.length
            ? `${rows.filter((r) => r.status === 'pass').length} of ${rows.length} controls met.`
            : `Nothing verified: version ${c.version} is ${v.state}, and Accord verifies only an active version.`,
          start: span.start,
          end: span.end,
          'reviewed-controls': {
            'control-selections': [
              { 'include-controls': c.controls.map((x) => ({ 'control-id': oscalControlId(x.controlId) })) },
            ],
          },
          ...(observations.length ? { observations, findings } : {}),
        },
      ],
      'back-matter': { resources: [planRes] },
    },
  };
}

/** One POA&M item per control that is failing or partly met, with its finding and observation. */
export function resultsToPoam(v: VersionInfo, rows: ResultRow[]) {
  const c = v.content;
  const failing = rows.filter((r) => r.status === 'fail' || r.status === 'partial');
  const span = spanOf(rows, v.at);
  const { observations, findings } = observationsAndFindings(c, failing, v.at);
  const title = new Map(c.controls.map((x) => [x.controlId, x.title]));
  const items = failing.map((r, i) => ({
    uuid: uuidFor('poam-item', c.agreementId, r.controlId),
    title: `${r.controlId}: ${title.get(r.controlId) ?? r.controlId}`,
    description: `${r.status === 'fail' ? 'Not met' : 'Partly met'}: ${r.reason}. Owner: ${r.owner}.`,
    props: [prop('accord-status', r.status), prop('owner', r.owner)],
    'related-findings': [{ 'finding-uuid': findings[i]!.uuid }],
    'related-observations': [{ 'observation-uuid': observations[i]!.uuid }],
  }));
  return {
    'plan-of-action-and-milestones': {
      uuid: uuidFor('poam', c.agreementId, c.version, span.end),
      metadata: metadataOf({ ...v, at: new Date(span.end) }, `${c.title}: plan of action and milestones`),
      'system-id': { 'identifier-type': 'urn:accord:agreement', id: c.agreementId },
      ...(items.length ? { observations, findings } : {}),
      // OSCAL requires at least one item; with nothing failing the plan says so in one item.
      'poam-items': items.length
        ? items
        : [
            rows.length
              ? {
                  uuid: uuidFor('poam-item', c.agreementId, 'none'),
                  title: 'No failing controls',
                  description: `No control of "${c.title}" version ${c.version} was failing or partly met at ${span.end}.`,
                  props: [prop('accord-status', 'pass')],
                }
              : {
                  uuid: uuidFor('poam-item', c.agreementId, 'unverified'),
                  title: 'Nothing verified',
                  description: `Version ${c.version} of "${c.title}" is ${v.state}: Accord verifies only an active version, so nothing is known to be failing or met.`,
                  props: [prop('accord-status', 'unknown')],
                },
          ],
    },
  };
}
