import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import { notFound } from '../../platform/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';

/**
 * Directory groups of a tenant and their members, as the tenant's directory lists them. A group is
 * replaced whole by each snapshot (a member missing from it has left the group). Agreements can name
 * groups whose members are MSP accounts (LOG-05 `msp_account_groups`); ingest asks which accounts
 * those are through `membersOf`.
 */
export interface GroupMembers {
  name: string;
  memberCount: number;
  updatedAt: Date;
  members: string[];
}

export type GroupsService = ReturnType<typeof createGroupsService>;

const keyOf = (s: string) => s.trim().toLowerCase();

export function createGroupsService({
  db,
  audit,
  onChange,
}: {
  db: Db;
  audit: AuditService;
  /** Told after a tenant's groups changed (e.g. to forget cached MSP-account rules). */
  onChange?: (orgId: string) => void;
}) {
  async function read(tx: Executor, orgId: string, group: string): Promise<GroupMembers | null> {
    const rows = await tx
      .selectFrom('directory_group_members')
      .select(['group_name', 'member', 'updated_at'])
      .where('org_id', '=', orgId)
      .where('group_key', '=', keyOf(group))
      .orderBy('member_key')
      .execute();
    if (rows.length === 0) return null;
    return {
      name: rows[0]!.group_name,
      memberCount: rows.length,
      updatedAt: new Date(rows[0]!.updated_at),
      members: rows.map((r) => r.member),
    };
  }

  /** Replaces the members of one group. An empty list removes the group. Audited. */
  async function replaceMembers(
    ctx: RequestContext,
    orgId: string,
    group: string,
    members: string[],
  ): Promise<GroupMembers & { added: number; removed: number }> {
    await requireTenant(db, ctx, orgId, 'logs:manage');
    const name = group.trim();
    const unique = new Map<string, string>();
    for (const m of members) if (!unique.has(keyOf(m))) unique.set(keyOf(m), m.trim());
    const now = new Date();
    const out = await db.transaction().execute(async (tx) => {
      const before = await tx
        .selectFrom('directory_group_members')
        .select('member_key')
        .where('org_id', '=', orgId)
        .where('group_key', '=', keyOf(name))
        .execute();
      const had = new Set(before.map((r) => r.member_key));
      const added = [...unique.keys()].filter((k) => !had.has(k)).length;
      const removed = [...had].filter((k) => !unique.has(k)).length;
      await tx
        .deleteFrom('directory_group_members')
        .where('org_id', '=', orgId)
        .where('group_key', '=', keyOf(name))
        .execute();
      const rows = [...unique].map(([memberKey, member]) => ({
        org_id: orgId,
        group_key: keyOf(name),
        group_name: name,
        member_key: memberKey,
        member,
        updated_at: now,
      }));
      for (let i = 0; i < rows.length; i += 1000)
        await tx
          .insertInto('directory_group_members')
          .values(rows.slice(i, i + 1000))
          .execute();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'directory_group.replaced',
        targetType: 'directory_group',
        targetId: keyOf(name),
        details: { group: name, members: unique.size, added, removed },
      });
      return { added, removed };
    });
    onChange?.(orgId);
    const members_ = [...unique.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    return { name, memberCount: unique.size, updatedAt: now, members: members_, ...out };
  }

  /** The tenant's groups with their member counts. */
  async function list(ctx: RequestContext, orgId: string): Promise<Omit<GroupMembers, 'members'>[]> {
    await requireTenant(db, ctx, orgId, 'logs:read');
    const rows = await db
      .selectFrom('directory_group_members')
      .select((eb) => [
        eb.fn.min('group_name').as('name'),
        eb.fn.countAll<number>().as('n'),
        eb.fn.max('updated_at').as('updated_at'),
      ])
      .where('org_id', '=', orgId)
      .groupBy('group_key')
      .orderBy('group_key')
      .execute();
    return rows.map((r) => ({
      name: String(r.name),
      memberCount: Number(r.n),
      updatedAt: new Date(r.updated_at as Date),
    }));
  }

  async function members(ctx: RequestContext, orgId: string, group: string): Promise<GroupMembers> {
    await requireTenant(db, ctx, orgId, 'logs:read');
    const g = await read(db, orgId, group);
    if (!g) throw notFound('group', group);
    return g;
  }

  /** Internal (ingest): the lower-case members of the named groups of one tenant. */
  async function membersOf(orgId: string, groups: string[]): Promise<Set<string>> {
    if (groups.length === 0) return new Set();
    const rows = await db
      .selectFrom('directory_group_members')
      .select('member_key')
      .where('org_id', '=', orgId)
      .where('group_key', 'in', groups.map(keyOf))
      .execute();
    return new Set(rows.map((r) => r.member_key));
  }

  return { replaceMembers, list, members, membersOf };
}
