import type { Cadence } from '@accord/contracts';
import type { Db } from '../../platform/db/db.ts';
import type { AttestationOf } from './checks/attestation.check.ts';

export const CHECK_STATUSES = ['pass', 'fail', 'partial', 'unknown', 'error'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** What a result rests on: enough to find it again (a source, a query, an import, a seal range). */
export interface EvidenceRef {
  type:
    | 'log_source'
    | 'events'
    | 'seal_chain'
    | 'import'
    | 'alerts'
    | 'evidence'
    | 'accounts'
    | 'supplier'
    | 'supplier_register'
    // a stored DNS check of a mail domain (PIC-05)
    | 'dns_check'
    // incident-response records (plans, exercises, incidents, actions)
    | 'ir_records';
  id?: string;
  summary: string;
}

/** The data kinds a check reads: new data of a kind makes the checks reading it due at once. */
export type DataKind =
  | 'events'
  | 'sources'
  | 'alerts'
  | 'evidence'
  // inventory imports, by kind: a new import of the kind makes the checks reading it due
  | 'identity'
  | 'assets'
  | 'vulnerabilities'
  | 'backups'
  | 'remote_access'
  | 'scubagear'
  // the staff roster (the customer's or the MSP's own)
  | 'roster'
  // the supplier registers (entries, assessments, sign-offs, treatments, reviews) of either party
  | 'suppliers'
  // phishing defences: the mail domains' DNS checks, training and phishing-simulation imports
  | 'mail_dns'
  | 'training'
  | 'phishing'
  | 'app_control'
  // incident-response records, by kind: a change makes the checks reading it due
  | 'ir_plans'
  | 'exercises'
  | 'incidents'
  | 'ir_actions';

/** What a check answers before the evaluator applies the rules for scope, staleness and errors. */
export interface CheckOutcome {
  status: Exclude<CheckStatus, 'error'>;
  reason: string;
  observed: Record<string, unknown>;
  expected: Record<string, unknown>;
  evidence: EvidenceRef[];
  /** When the data the answer rests on was collected; null when there was none. */
  dataAt: Date | null;
  /** How many things were in scope (accounts, sources, sign-ins); 0 makes any answer unknown. */
  scope: number | null;
}

export interface CheckInput {
  db: Db;
  agreementId: string;
  mspOrgId: string;
  customerOrgId: string;
  controlId: string;
  parameters: Record<string, unknown>;
  now: Date;
  /** A control's attestation state (evidence module), for checks whose target is partly attested. */
  attestationOf?: AttestationOf | undefined;
}

/** One typed check per automatically (or hybrid) verified control, registered by control id. */
export interface Check {
  controlId: string;
  reads: DataKind[];
  run(input: CheckInput): Promise<CheckOutcome>;
}

/** The final result as stored: the evaluator's rules applied to a check's outcome. */
export interface CheckResult {
  status: CheckStatus;
  reason: string;
  observed: Record<string, unknown>;
  expected: Record<string, unknown>;
  evidence: EvidenceRef[];
  dataAt: Date | null;
}

const H = 3_600_000;
/**
 * How old the data behind a result may be for each cadence before the result is unknown (stale):
 * the cadence's period plus a tenth, so a daily import arriving a little late does not flap.
 */
export const STALE_AFTER_MS: Record<Cadence, number> = {
  continuous: 1.1 * H,
  hourly: 1.1 * H,
  daily: 26.4 * H,
  weekly: 7 * 26.4 * H,
  monthly: 31 * 26.4 * H,
  quarterly: 92 * 26.4 * H,
  annually: 366 * 26.4 * H,
};

/** How often each cadence is evaluated when no new data makes it due earlier. */
export const EVALUATE_EVERY_MS: Record<Cadence, number> = {
  continuous: 5 * 60_000,
  hourly: H,
  daily: 24 * H,
  weekly: 7 * 24 * H,
  monthly: 30 * 24 * H,
  quarterly: 91 * 24 * H,
  annually: 365 * 24 * H,
};

/**
 * The rules every result obeys: an error is never a pass or a fail; an empty scope is unknown,
 * never pass; data older than the cadence allows is unknown (stale).
 */
export async function evaluate(check: Check, input: CheckInput, cadence: Cadence): Promise<CheckResult> {
  let out: CheckOutcome;
  try {
    out = await check.run(input);
  } catch (e) {
    return {
      status: 'error',
      reason: `the check could not run: ${(e as Error).message}`,
      observed: {},
      expected: {},
      evidence: [],
      dataAt: null,
    };
  }
  const base = {
    observed: out.observed,
    expected: out.expected,
    evidence: out.evidence,
    dataAt: out.dataAt,
  };
  if (out.scope === 0 && out.status !== 'unknown')
    return { ...base, status: 'unknown', reason: `nothing in scope: ${out.reason}` };
  if (out.status !== 'unknown') {
    if (!out.dataAt) return { ...base, status: 'unknown', reason: `no data: ${out.reason}` };
    const age = input.now.getTime() - out.dataAt.getTime();
    if (age > STALE_AFTER_MS[cadence])
      return {
        ...base,
        status: 'unknown',
        reason: `stale: the data is from ${out.dataAt.toISOString()}, older than a ${cadence} control allows`,
      };
  }
  return { ...base, status: out.status, reason: out.reason };
}
