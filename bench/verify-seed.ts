/**
 * Seeds the portfolio `bench/verify.bench.ts` evaluates: one MSP with N customers, each with an
 * active agreement holding every catalog control, log sources with sealed batches, and the five
 * inventories. The first customer and its agreement go through the services (drafted, proposed,
 * accepted by both parties); the others copy that content with bulk inserts into the same tables.
 * Events always go through `ingest.ingest`, so their seals are real.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { systemContext } from '../packages/server/src/platform/context.ts';
import { digestOf } from '../packages/server/src/platform/canonical-json.ts';
import { sha256Hex } from '../packages/server/src/platform/crypto.ts';
import type { Executor } from '../packages/server/src/platform/db/db.ts';
import type { Runtime } from '../packages/server/src/server.ts';
import type { SourceRow } from '../packages/server/src/modules/telemetry/sources.service.ts';
import {
  createCustomer,
  createMsp,
  ctxFor,
  type TestUser,
} from '../packages/server/test/support/factories.ts';
import { inventoryRows, KEV_FILE, SOURCE_PLAN } from './verify-data.ts';

const DAY = 86_400_000;
const H = 3_600_000;

/** The MSP accounts the agreement names (LOG-05) and the network it agrees they come from (NET-02). */
export const MSP_SUFFIX = 'msp.bench.example';
const AGREED_NETWORK = '198.51.100.0/24';

/** A generic JSON sign-in mapping: every field the sign-in checks read. */
const SIGNIN_MAPPING = {
  time: { path: 't' },
  class: { default: 'authentication' },
  activity: { default: 'sign_in' },
  outcome: 'o',
  user: 'u',
  srcIp: 'ip',
  mfaUsed: { path: 'mfa', map: { yes: true, no: false } },
};

export interface Seeded {
  mspOrgId: string;
  mspAdmin: TestUser;
  agreementIds: string[];
  controls: number;
  events: number;
  batches: number;
  inventoryItems: number;
  /** Seconds per seeding step. */
  steps: Record<string, number>;
}

/** Inserts rows in chunks (PostgreSQL takes at most 65,535 parameters per statement). */
async function bulk<T extends Record<string, unknown>>(
  db: Executor,
  table: string,
  rows: T[],
  chunk = 1000,
): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk)
    await db
      .insertInto(table as any)
      .values(rows.slice(i, i + chunk) as any)
      .execute();
}

/** Runs `fn` over 0..n-1 with at most `limit` calls in flight. */
async function inPool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

export async function seedPortfolio(rt: Runtime, customers: number, now = new Date()): Promise<Seeded> {
  const db = rt.database.db;
  const steps: Record<string, number> = {};
  let t = performance.now();
  const step = (name: string) => {
    steps[name] = (performance.now() - t) / 1000;
    t = performance.now();
  };
  const run = randomUUID().slice(0, 8);

  // 1. The MSP, the first customer and its agreement through the services.
  const msp = await createMsp(rt, `Verify Bench MSP ${run}`);
  const first = await createCustomer(rt, msp.org.id, { name: `Customer 0000 ${run}` });
  const m = ctxFor(msp.admin, 'msp');
  const c = ctxFor(first.admin, 'customer');
  const params = (id: string): Record<string, string[]> =>
    id === 'LOG-05'
      ? { msp_account_upn_suffixes: [MSP_SUFFIX] }
      : id === 'NET-02'
        ? { msp_source_networks: [AGREED_NETWORK] }
        : {};
  const controls = rt.services.catalog.catalog.controls.map((x) => ({
    controlId: x.id,
    parameters: params(x.id),
  }));
  const d = await rt.services.agreements.create(m, {
    customerOrgId: first.org.id,
    title: 'Security agreement (AA22-131A)',
    controls,
  });
  const p = await rt.services.agreements.propose(m, d.agreement_id, 1);
  await rt.services.agreements.accept(m, d.agreement_id, 1, p.digest!);
  await rt.services.agreements.accept(c, d.agreement_id, 1, p.digest!);
  const template = p.content;
  step('msp, first customer, agreement (services)');

  // 2. The other customers: orgs, active relationships, agreements with the same content.
  const orgs = [{ id: first.org.id, name: first.org.name }];
  for (let i = 1; i < customers; i++)
    orgs.push({ id: randomUUID(), name: `Customer ${String(i).padStart(4, '0')} ${run}` });
  const rest = orgs.slice(1);
  const agreementIds = [d.agreement_id];
  await db.transaction().execute(async (tx) => {
    await bulk(
      tx,
      'orgs',
      rest.map((o) => ({ id: o.id, name: o.name, kind: 'customer' })),
    );
    await bulk(
      tx,
      'relationships',
      rest.map((o) => ({
        id: randomUUID(),
        msp_org_id: msp.org.id,
        customer_org_id: o.id,
        status: 'active',
        activated_at: now,
      })),
    );
    const agreements = rest.map((o) => ({
      id: randomUUID(),
      msp_org_id: msp.org.id,
      customer_org_id: o.id,
      title: template.title,
    }));
    agreementIds.push(...agreements.map((a) => a.id));
    await bulk(tx, 'agreements', agreements);
    const versions = agreements.map((a, i) => {
      const content = { ...template, agreementId: a.id, customer: { id: rest[i]!.id, name: rest[i]!.name } };
      return {
        id: randomUUID(),
        agreement_id: a.id,
        msp_org_id: a.msp_org_id,
        customer_org_id: a.customer_org_id,
        version: 1,
        state: 'active',
        content: JSON.stringify(content),
        digest: digestOf(content),
        created_by_org_id: a.msp_org_id,
        created_by_user_id: msp.admin.id,
        proposed_at: now,
        activated_at: now,
      };
    });
    await bulk(tx, 'agreement_versions', versions, 200);
    await bulk(
      tx,
      'agreement_acceptances',
      versions.flatMap((v) => [
        {
          version_id: v.id,
          party: 'msp',
          org_id: v.msp_org_id,
          user_label: msp.admin.email,
          digest: v.digest,
        },
        {
          version_id: v.id,
          party: 'customer',
          org_id: v.customer_org_id,
          user_label: 'bench',
          digest: v.digest,
        },
      ]),
    );
  });
  step('customers and agreements (bulk)');

  // 3. Log sources: ten per customer (categories per SOURCE_PLAN), two for the MSP's own delivery.
  const created = new Date(now.getTime() - 40 * DAY);
  const sources: SourceRow[] = [];
  const signinSources: SourceRow[][] = [];
  orgs.forEach((o, ci) => {
    const mine: SourceRow[] = [];
    SOURCE_PLAN.forEach((s, si) => {
      // Every 7th customer has one silent source (LOG-02 partial); the rest delivered recently.
      const silent = ci % 7 === 0 && si === 9;
      const row: SourceRow = {
        id: randomUUID(),
        org_id: o.id,
        kind: s.kind,
        name: s.name,
        expected_interval_minutes: 60,
        utc_offset_minutes: 0,
        mapping: s.signins ? SIGNIN_MAPPING : null,
        categories: [...s.categories],
        created_at: created,
        disabled_at: null,
        last_received_at: new Date(now.getTime() - (silent ? 3 * DAY : ((ci + si) % 50) * 60_000)),
        last_event_at: null,
      };
      sources.push(row);
      if (s.signins) mine.push(row);
    });
    signinSources.push(mine);
  });
  for (const name of ['msp collector a', 'msp collector b'])
    sources.push({
      ...sources[0]!,
      id: randomUUID(),
      org_id: msp.org.id,
      name,
      mapping: null,
      categories: ['other'],
      last_received_at: new Date(now.getTime() - 10 * 60_000),
    });
  await bulk(
    db,
    'log_sources',
    sources.map((s) => ({
      ...s,
      mapping: s.mapping === null ? null : JSON.stringify(s.mapping),
      categories: JSON.stringify(s.categories),
      token_hash: sha256Hex(randomBytes(32).toString('base64url')),
    })),
  );
  step('log sources (bulk)');

  // 4. Sealed batches through ingest: three per customer on its sign-in sources (one 35 days old).
  let events = 0;
  let batches = 0;
  await inPool(orgs.length, rt.database.kind === 'postgres' ? 4 : 1, async (ci) => {
    const [a, b] = signinSources[ci]!;
    const plan: [SourceRow, number][] = [
      [a!, 35 * DAY],
      [a!, 3 * DAY],
      [b!, H],
    ];
    for (const [src, age] of plan) {
      const records = Array.from({ length: 12 }, (_, k) => {
        // MSP technicians: tech0..tech4 work at every customer (NET-04), c<ci> only here; every
        // 9th customer's technicians skip MFA once (MFA-01) and every 11th comes from outside the
        // agreed network (NET-02).
        const msp = k < 6;
        const u = msp
          ? k < 3
            ? `tech${(ci + k) % 5}@${MSP_SUFFIX}`
            : `c${ci}-t${k}@${MSP_SUFFIX}`
          : `user${k}@c${ci}.example`;
        const ip = msp && ci % 11 === 0 && k === 5 ? '203.0.113.9' : `198.51.100.${(k * 7) % 250}`;
        const mfa = msp && ci % 9 === 0 && k === 4 ? 'no' : 'yes';
        return {
          line: k + 1,
          text: JSON.stringify({
            t: new Date(now.getTime() - age - k * 60_000).toISOString(),
            o: 'success',
            u,
            ip,
            mfa,
          }),
        };
      });
      const r = await rt.services.ingest.ingest(src, records, now);
      events += r.accepted;
      batches++;
    }
  });
  step('sealed batches (ingest)');

  // 5. Inventories: an import row per kind (its evidence) and the items of each snapshot.
  const kev = JSON.parse(fs.readFileSync(KEV_FILE, 'utf8')) as { vulnerabilities: { cveID: string }[] };
  const kevIds = kev.vulnerabilities.map((v) => v.cveID);
  await rt.services.kev.importCatalog(
    systemContext('bench'),
    (async function* () {
      yield fs.readFileSync(KEV_FILE);
    })(),
  );
  let items = 0;
  const CHUNK = 50;
  for (let i = 0; i < orgs.length; i += CHUNK) {
    const imports: Record<string, unknown>[] = [];
    const rows: Record<string, unknown>[] = [];
    orgs.slice(i, i + CHUNK).forEach((o, k) => {
      for (const [kind, list] of Object.entries(inventoryRows(i + k, kevIds, now))) {
        const id = randomUUID();
        imports.push({
          id,
          org_id: o.id,
          kind,
          format: 'csv',
          mode: 'replace',
          filename: `${kind}.csv`,
          sha256: sha256Hex(`${o.id}/${kind}`),
          bytes: 1000 * list.length,
          accepted: list.length,
          rejected: 0,
          rejections: '[]',
          actor_label: msp.admin.email,
          created_at: now,
        });
        for (const [key, data] of list)
          rows.push({ org_id: o.id, kind, item_key: key, data: JSON.stringify(data), import_id: id });
      }
    });
    await bulk(db, 'imports', imports);
    await bulk(db, 'inventory_items', rows);
    items += rows.length;
  }
  step('inventories (bulk)');

  return {
    mspOrgId: msp.org.id,
    mspAdmin: msp.admin,
    agreementIds,
    controls: controls.length,
    events,
    batches,
    inventoryItems: items,
    steps,
  };
}
