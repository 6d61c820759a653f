import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Cadence, ImportKind } from '@accord/contracts';
import type { Runtime } from '../../src/server.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { systemContext } from '../../src/platform/context.ts';
import { evaluate, type CheckInput } from '../../src/modules/verification/check.types.ts';
import { CHECKS } from '../../src/modules/verification/checks/index.ts';
import { createCustomer, createMsp, ctxFor, activeAgreement } from './factories.ts';
import { dataset } from './datasets.ts';

export const H = 3_600_000;
export const DAY = 24 * H;
/** An ISO time `ms` before now. */
export const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** A database whose every query fails, as when the store is unreachable. */
export const brokenDb = (db: Db) =>
  new Proxy(db, {
    get(target, prop, recv) {
      if (prop === 'selectFrom' || prop === 'transaction')
        return () => {
          throw new Error('connection refused');
        };
      return Reflect.get(target, prop, recv) as unknown;
    },
  });

/** Evaluates a registered check with the evaluator's rules. */
export const runCheck = (controlId: string, input: CheckInput, cadence: Cadence = 'daily') =>
  evaluate(CHECKS.get(controlId)!, input, cadence);

/**
 * An MSP and a customer with an active agreement over `controls` (catalog defaults unless
 * `params` says otherwise); nw-admin and nw-ops are named as the MSP's accounts (LOG-05).
 */
export async function checkWorld(
  rt: Runtime,
  controls: string[],
  params: Record<string, Record<string, unknown>> = {},
) {
  const msp = await createMsp(rt);
  const cust = await createCustomer(rt, msp.org.id);
  const m = ctxFor(msp.admin, 'msp');
  const c = ctxFor(cust.admin, 'customer');
  const ids = [...new Set(['LOG-05', ...controls])];
  const d = await activeAgreement(rt, m, c, {
    customerOrgId: cust.org.id,
    title: 'Verified schedule',
    controls: ids.map((controlId) => ({
      controlId,
      parameters: {
        ...(controlId === 'LOG-05' ? { msp_account_names: ['nw-admin', 'nw-ops'] } : {}),
        ...(params[controlId] ?? {}),
      },
    })),
  });
  const version = await rt.services.agreements.version(c, d.agreement_id, 1);
  const content = (typeof version.content === 'string' ? JSON.parse(version.content) : version.content) as {
    controls: { controlId: string; parameters: Record<string, unknown> }[];
  };
  const agreed = new Map(content.controls.map((x) => [x.controlId, x.parameters]));
  const input = (controlId: string, now = new Date(), parameters?: Record<string, unknown>): CheckInput => ({
    db: rt.database.db,
    agreementId: d.agreement_id,
    mspOrgId: msp.org.id,
    customerOrgId: cust.org.id,
    controlId,
    parameters: parameters ?? agreed.get(controlId)!,
    now,
  });
  /** Imports a CSV (header line + rows) as the customer's snapshot of `kind`, through the service. */
  const importCsv = (kind: ImportKind, header: string, rows: string[]) =>
    rt.services.inventory.importFile(c, cust.org.id, kind, {
      body: Readable.from([Buffer.from([header, ...rows].join('\n') + '\n')]),
      contentType: 'text/csv',
      format: 'csv',
      filename: `${kind}.csv`,
    });
  return { rt, msp, cust, m, c, agreementId: d.agreement_id, input, importCsv, params: agreed };
}

/** The published KEV catalog (the copy the inventory tests import too: it is shared by all tenants). */
export async function loadKev(rt: Runtime) {
  const file = fs.readFileSync(dataset('kev', 'known_exploited_vulnerabilities.json'));
  return rt.services.kev.importCatalog(systemContext('test'), Readable.from([file]));
}
