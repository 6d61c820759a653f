import type { Executor } from '../../platform/db/db.ts';

export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  org_id: string;
  role: string;
  function: string | null;
  expires_at: Date | null;
  created_at: Date;
  totp_enabled_at: Date | null;
  status: 'active' | 'invited';
}

export const usersRepo = {
  async byEmail(db: Executor, email: string) {
    return db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .executeTakeFirst();
  },
  async byId(db: Executor, id: string) {
    return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async insert(db: Executor, u: { id: string; email: string; name: string; password_hash: string }) {
    await db
      .insertInto('users')
      .values({ ...u, totp_last_step: 0 })
      .execute();
  },
  async members(db: Executor, orgId: string): Promise<MemberRow[]> {
    return db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select([
        'm.user_id',
        'u.email',
        'u.name',
        'm.org_id',
        'm.role',
        'm.function',
        'm.expires_at',
        'm.created_at',
        'u.totp_enabled_at',
        'm.status',
      ])
      .where('m.org_id', '=', orgId)
      .orderBy('u.email')
      .execute();
  },
  async member(db: Executor, orgId: string, userId: string): Promise<MemberRow | undefined> {
    return db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select([
        'm.user_id',
        'u.email',
        'u.name',
        'm.org_id',
        'm.role',
        'm.function',
        'm.expires_at',
        'm.created_at',
        'u.totp_enabled_at',
        'm.status',
      ])
      .where('m.org_id', '=', orgId)
      .where('m.user_id', '=', userId)
      .executeTakeFirst();
  },
  async insertMembership(
    db: Executor,
    m: {
      user_id: string;
      org_id: string;
      role: string;
      function: string | null;
      expires_at: string | null;
      status: 'active' | 'invited';
      invited_by: string | null;
    },
  ) {
    await db.insertInto('memberships').values(m).execute();
  },
  async deleteMembership(db: Executor, orgId: string, userId: string) {
    await db.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
  },
  async countAdmins(db: Executor, orgId: string): Promise<number> {
    const r = await db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', orgId)
      .where('role', 'in', ['msp_admin', 'customer_admin'])
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  /** Memberships that give access: accepted and not expired (auditor memberships expire). */
  async activeMemberships(db: Executor, userId: string) {
    return db
      .selectFrom('memberships as m')
      .innerJoin('orgs as o', 'o.id', 'm.org_id')
      .select([
        'm.org_id',
        'o.name as org_name',
        'o.kind as org_kind',
        'm.role',
        'm.function',
        'm.expires_at',
      ])
      .where('m.user_id', '=', userId)
      .where('m.status', '=', 'active')
      .where((eb) => eb.or([eb('m.expires_at', 'is', null), eb('m.expires_at', '>', new Date())]))
      .orderBy('o.name')
      .execute();
  },
  /** Invitations waiting for the user's answer. */
  async invitations(db: Executor, userId: string) {
    return db
      .selectFrom('memberships as m')
      .innerJoin('orgs as o', 'o.id', 'm.org_id')
      .select(['m.org_id', 'o.name as org_name', 'o.kind as org_kind', 'm.role', 'm.function'])
      .where('m.user_id', '=', userId)
      .where('m.status', '=', 'invited')
      .orderBy('o.name')
      .execute();
  },
  async setMembershipStatus(db: Executor, orgId: string, userId: string, status: 'active') {
    return db
      .updateTable('memberships')
      .set({ status })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('status', '=', 'invited')
      .executeTakeFirst();
  },
};
