import type { MailCheck, MailDomain, MailFacts, MailFinding } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';

/** SQL of mail domains and their DNS checks; every tenant-scoped read and write is filtered by org. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const iso = (d: Date | string) => new Date(d).toISOString();

export interface DomainRow {
  id: string;
  org_id: string;
  domain: string;
  dkim_selectors: unknown;
  created_by_label: string;
  created_at: Date;
  updated_at: Date;
}
interface CheckRow {
  id: string;
  domain_id: string;
  domain: string;
  checked_at: Date;
  status: 'pass' | 'fail' | 'error';
  resolver: string;
  facts: unknown;
  findings: unknown;
}

export const toCheck = (r: CheckRow): MailCheck => ({
  id: r.id,
  domainId: r.domain_id,
  domain: r.domain,
  checkedAt: iso(r.checked_at),
  status: r.status,
  resolver: r.resolver,
  facts: json<MailFacts>(r.facts),
  findings: json<MailFinding[]>(r.findings),
});

export const toDomain = (r: DomainRow, last: MailCheck | null): MailDomain => ({
  id: r.id,
  orgId: r.org_id,
  domain: r.domain,
  dkimSelectors: json<string[]>(r.dkim_selectors),
  createdBy: r.created_by_label,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
  lastCheck: last,
});

const DOMAIN_COLUMNS = [
  'id',
  'org_id',
  'domain',
  'dkim_selectors',
  'created_by_label',
  'created_at',
  'updated_at',
] as const;
const CHECK_COLUMNS = [
  'id',
  'domain_id',
  'domain',
  'checked_at',
  'status',
  'resolver',
  'facts',
  'findings',
] as const;

export const mailRepo = {
  /** The organisations' current (not removed) domains, by name. */
  async domains(db: Executor, orgIds: string[]): Promise<DomainRow[]> {
    if (orgIds.length === 0) return [];
    return db
      .selectFrom('mail_domains')
      .select(DOMAIN_COLUMNS)
      .where('org_id', 'in', orgIds)
      .where('removed_at', 'is', null)
      .orderBy('domain')
      .orderBy('org_id')
      .execute();
  },

  async domain(db: Executor, orgId: string, id: string): Promise<DomainRow | undefined> {
    return db
      .selectFrom('mail_domains')
      .select(DOMAIN_COLUMNS)
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
  },

  async byName(db: Executor, orgId: string, domain: string): Promise<DomainRow | undefined> {
    return db
      .selectFrom('mail_domains')
      .select(DOMAIN_COLUMNS)
      .where('org_id', '=', orgId)
      .where('domain', '=', domain)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
  },

  async insert(
    db: Executor,
    orgId: string,
    row: Omit<DomainRow, 'org_id' | 'dkim_selectors'> & { selectors: string[] },
  ) {
    await db
      .insertInto('mail_domains')
      .values({
        id: row.id,
        org_id: orgId,
        domain: row.domain,
        dkim_selectors: JSON.stringify(row.selectors),
        created_by_label: row.created_by_label,
        created_at: row.created_at,
        updated_at: row.updated_at,
      })
      .execute();
  },

  async setSelectors(db: Executor, orgId: string, id: string, selectors: string[], at: Date) {
    await db
      .updateTable('mail_domains')
      .set({ dkim_selectors: JSON.stringify(selectors), updated_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },

  async remove(db: Executor, orgId: string, id: string, at: Date) {
    await db
      .updateTable('mail_domains')
      .set({ removed_at: at, updated_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },

  async insertCheck(
    db: Executor,
    orgId: string,
    c: {
      id: string;
      domainId: string;
      domain: string;
      at: Date;
      status: CheckRow['status'];
      resolver: string;
      facts: MailFacts;
      findings: MailFinding[];
    },
  ) {
    await db
      .insertInto('mail_domain_checks')
      .values({
        id: c.id,
        org_id: orgId,
        domain_id: c.domainId,
        domain: c.domain,
        checked_at: c.at,
        status: c.status,
        resolver: c.resolver,
        facts: JSON.stringify(c.facts),
        findings: JSON.stringify(c.findings),
      })
      .execute();
  },

  async checks(db: Executor, orgId: string, domainId: string, limit: number): Promise<MailCheck[]> {
    const rows = await db
      .selectFrom('mail_domain_checks')
      .select(CHECK_COLUMNS)
      .where('org_id', '=', orgId)
      .where('domain_id', '=', domainId)
      .orderBy('checked_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toCheck);
  },

  /** The newest check of each current domain of the organisations, by domain id. */
  async latestChecks(db: Executor, orgIds: string[]): Promise<Map<string, MailCheck>> {
    if (orgIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('mail_domain_checks as c')
      .innerJoin('mail_domains as d', (j) =>
        j.onRef('d.id', '=', 'c.domain_id').onRef('d.org_id', '=', 'c.org_id'),
      )
      .select(CHECK_COLUMNS.map((c) => `c.${c}` as const))
      .where('c.org_id', 'in', orgIds)
      .where('d.removed_at', 'is', null)
      .orderBy('c.domain_id')
      .orderBy('c.checked_at', 'desc')
      .orderBy('c.id', 'desc')
      .distinctOn('c.domain_id')
      .execute();
    return new Map(rows.map((r) => [r.domain_id, toCheck(r)]));
  },
};
