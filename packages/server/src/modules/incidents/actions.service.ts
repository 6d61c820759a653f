import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/db.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import { actionsRepo, type ActionRow } from './actions.repo.ts';
import { appendTimeline, auditIr, dayOf, irTenant, requirePeople, touch, type IrDeps } from './ir-access.ts';

export interface NewAction {
  title: string;
  ownerUserId: string;
  dueDate: string;
  priority: 'high' | 'medium' | 'low';
}
export interface ActionChange {
  status?: 'open' | 'done' | 'cancelled';
  ownerUserId?: string;
  dueDate?: string;
  priority?: 'high' | 'medium' | 'low';
  note?: string;
}

/** An action as the API shows it: overdue is open past its due date (UTC days). */
export function toAction(a: ActionRow, now = new Date()) {
  const today = dayOf(now);
  return {
    id: a.id,
    orgId: a.org_id,
    source: { type: a.source_type, id: a.source_id },
    title: a.title,
    owner: { userId: a.owner_user_id, orgId: a.owner_org_id, name: a.owner_name, email: a.owner_email },
    dueDate: a.due_date,
    priority: a.priority,
    status: a.status,
    overdue: a.status === 'open' && a.due_date < today,
    createdAt: iso(a.created_at),
    completedAt: isoOrNull(a.completed_at),
    closedLate:
      a.status === 'done' && a.completed_at !== null && dayOf(new Date(a.completed_at)) > a.due_date,
  };
}

export type ActionsService = ReturnType<typeof createActionsService>;

/**
 * Follow-up actions with an owner (a person of either party) and a due date, from incidents and
 * exercises. IRP-03 reads them: an open high-priority action past its due date fails it.
 */
export function createActionsService({ db, audit }: IrDeps) {
  /** Adds an action inside the caller's transaction (the incident's or exercise's). */
  async function addTx(
    tx: Executor,
    ctx: RequestContext,
    orgId: string,
    source: { type: 'incident' | 'exercise'; id: string },
    input: NewAction,
    now = new Date(),
  ) {
    if (input.dueDate < dayOf(now))
      throw new AppError('bad_request', `dueDate ${input.dueDate} is before today (${dayOf(now)})`);
    const people = await requirePeople(tx, orgId, [{ userId: input.ownerUserId, where: 'ownerUserId' }]);
    const id = randomUUID();
    await actionsRepo.insert(tx, {
      id,
      org_id: orgId,
      source_type: source.type,
      source_id: source.id,
      title: input.title,
      owner_user_id: input.ownerUserId,
      owner_org_id: people.get(input.ownerUserId)!.orgId,
      due_date: input.dueDate,
      priority: input.priority,
      created_by_label: ctx.actor.label,
      created_at: now,
    });
    await appendTimeline(tx, ctx, {
      orgId,
      subjectType: source.type,
      subjectId: source.id,
      kind: 'action_added',
      text: `action "${input.title}" for ${people.get(input.ownerUserId)!.name}, due ${input.dueDate} (${input.priority})`,
      details: { actionId: id, ...input },
      at: now,
    });
    await auditIr(audit, tx, ctx, orgId, {
      action: 'ir_action.created',
      targetType: 'ir_action',
      targetId: id,
      after: input,
      details: { source },
    });
    await touch(tx, orgId, 'ir_actions', now);
    return id;
  }

  async function list(
    ctx: RequestContext,
    orgId: string,
    f: { status?: string; overdue?: boolean },
    now = new Date(),
  ) {
    await irTenant(db, ctx, orgId, 'ir:read');
    const rows = await actionsRepo.list(db, orgId, {
      ...(f.status ? { status: f.status } : {}),
      ...(f.overdue ? { overdueOn: dayOf(now) } : {}),
    });
    return rows.map((a) => toAction(a, now)).filter((a) => f.overdue !== false || !a.overdue);
  }

  async function change(
    ctx: RequestContext,
    orgId: string,
    actionId: string,
    c: ActionChange,
    now = new Date(),
  ) {
    await irTenant(db, ctx, orgId, 'ir:manage');
    await db.transaction().execute(async (tx) => {
      const a = await actionsRepo.get(tx, orgId, actionId, true);
      if (!a) throw notFound('action', actionId);
      const created = dayOf(new Date(a.created_at));
      if (c.dueDate && c.dueDate < created)
        throw new AppError(
          'bad_request',
          `dueDate ${c.dueDate} is before the action was created (${created})`,
        );
      const set: Parameters<typeof actionsRepo.update>[3] = {};
      const said: string[] = [];
      if (c.ownerUserId && c.ownerUserId !== a.owner_user_id) {
        const p = (await requirePeople(tx, orgId, [{ userId: c.ownerUserId, where: 'ownerUserId' }])).get(
          c.ownerUserId,
        )!;
        set.owner_user_id = p.userId;
        set.owner_org_id = p.orgId;
        said.push(`owner ${a.owner_name} -> ${p.name}`);
      }
      if (c.dueDate && c.dueDate !== a.due_date) {
        set.due_date = c.dueDate;
        said.push(`due ${a.due_date} -> ${c.dueDate}`);
      }
      if (c.priority && c.priority !== a.priority) {
        set.priority = c.priority;
        said.push(`priority ${a.priority} -> ${c.priority}`);
      }
      if (c.status && c.status !== a.status) {
        set.status = c.status;
        set.completed_at = c.status === 'open' ? null : now;
        said.push(`status ${a.status} -> ${c.status}`);
      }
      if (said.length === 0 && !c.note)
        throw new AppError('bad_request', `action ${actionId} already is as asked`);
      if (said.length) await actionsRepo.update(tx, orgId, actionId, set, now);
      await appendTimeline(tx, ctx, {
        orgId,
        subjectType: a.source_type,
        subjectId: a.source_id,
        kind: 'action_changed',
        text: `action "${a.title}": ${[...said, ...(c.note ? [`note: ${c.note}`] : [])].join('; ')}`,
        details: { actionId, ...c },
        at: now,
      });
      await auditIr(audit, tx, ctx, orgId, {
        action: 'ir_action.changed',
        targetType: 'ir_action',
        targetId: actionId,
        before: { status: a.status, dueDate: a.due_date, owner: a.owner_user_id, priority: a.priority },
        after: c,
      });
      await touch(tx, orgId, 'ir_actions', now);
    });
    return toAction((await actionsRepo.get(db, orgId, actionId))!, now);
  }

  const of = async (
    ex: Executor,
    orgId: string,
    type: 'incident' | 'exercise',
    id: string,
    now = new Date(),
  ) => (await actionsRepo.list(ex, orgId, { source: { type, id } })).map((a) => toAction(a, now));

  return { addTx, list, change, of };
}
