import { randomUUID } from 'node:crypto';
import type { PlanRole, IncidentSeverity } from '@accord/contracts';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/db.ts';
import { invalidState, notFound } from '../../platform/errors.ts';
import type { ActionsService, NewAction } from './actions.service.ts';
import { exercisesRepo, type ExerciseRow } from './exercises.repo.ts';
import { exerciseDetail, roleIn, toExercise } from './exercise-views.ts';
import {
  appendTimeline,
  auditIr,
  irTenant,
  notInFuture,
  requirePeople,
  touch,
  type IrDeps,
} from './ir-access.ts';
import { plansRepo } from './plans.repo.ts';

const DAY_MS = 86_400_000;

export interface ScheduleExercise {
  planId: string;
  kind: 'tabletop' | 'live';
  title: string;
  scenario: string;
  scheduledFor?: string | undefined;
  participants: { userId: string; role?: PlanRole | undefined }[];
}

export type ExercisesService = ReturnType<typeof createExercisesService>;

/**
 * Tabletop and live exercises of a plan: scheduled (by default when the plan's cadence makes the
 * next one due) with participants from both parties, held (attendance recorded), then closed,
 * which needs at least one finding. Findings and the timeline are append-only; follow-up actions
 * feed IRP-03, held joint exercises IRP-02.
 */
export function createExercisesService(deps: IrDeps & { actions: ActionsService }) {
  const { db, audit, actions } = deps;

  const detail = (ex: Executor, orgId: string, id: string, now = new Date()) =>
    exerciseDetail(ex, orgId, id, actions, now);

  async function load(ex: Executor, orgId: string, id: string, lock = false) {
    const e = await exercisesRepo.get(ex, orgId, id, lock);
    if (!e) throw notFound('exercise', id);
    return e;
  }

  async function list(ctx: RequestContext, orgId: string) {
    await irTenant(db, ctx, orgId, 'ir:read');
    const rows = await exercisesRepo.list(db, orgId);
    const ps = await exercisesRepo.participants(
      db,
      orgId,
      rows.map((r) => r.id),
    );
    return rows.map((e) =>
      toExercise(
        e,
        ps.filter((p) => p.exercise_id === e.id),
      ),
    );
  }

  async function show(ctx: RequestContext, orgId: string, id: string) {
    await irTenant(db, ctx, orgId, 'ir:read');
    return detail(db, orgId, id);
  }

  /** Runs one change in a transaction with the exercise locked, in one of the allowed states. */
  async function mutate(
    ctx: RequestContext,
    orgId: string,
    id: string,
    allowed: ExerciseRow['status'][],
    what: string,
    fn: (tx: Executor, e: ExerciseRow, now: Date) => Promise<void>,
  ) {
    await irTenant(db, ctx, orgId, 'ir:manage');
    const now = new Date();
    await db.transaction().execute(async (tx) => {
      const e = await load(tx, orgId, id, true);
      if (!allowed.includes(e.status)) throw invalidState(`exercise ${id} is ${e.status}: ${what}`);
      await fn(tx, e, now);
      await touch(tx, orgId, 'exercises', now);
    });
    return detail(db, orgId, id, now);
  }
  const tl = (
    tx: Executor,
    ctx: RequestContext,
    e: ExerciseRow,
    at: Date,
    kind: string,
    text: string,
    details = {},
  ) =>
    appendTimeline(tx, ctx, {
      orgId: e.org_id,
      subjectType: 'exercise',
      subjectId: e.id,
      kind,
      text,
      details,
      at,
    });
  const record = (
    tx: Executor,
    ctx: RequestContext,
    e: ExerciseRow,
    action: string,
    details: Record<string, unknown>,
  ) => auditIr(audit, tx, ctx, e.org_id, { action, targetType: 'exercise', targetId: e.id, details });

  async function schedule(ctx: RequestContext, orgId: string, input: ScheduleExercise) {
    await irTenant(db, ctx, orgId, 'ir:manage');
    const now = new Date();
    const id = randomUUID();
    await db.transaction().execute(async (tx) => {
      const plan = await plansRepo.plan(tx, orgId, input.planId);
      if (!plan) throw notFound('plan', input.planId);
      const versions = await plansRepo.versions(tx, orgId, [plan.id]);
      const approved = versions.find((v) => v.state === 'approved');
      const content = (approved ?? versions.find((v) => v.state === 'draft'))?.content;
      let when: Date;
      if (input.scheduledFor) when = new Date(input.scheduledFor);
      else {
        const last = (await plansRepo.lastHeld(tx, orgId, [plan.id])).get(plan.id);
        const start = last ?? (await plansRepo.firstApproved(tx, orgId, [plan.id])).get(plan.id) ?? now;
        const due = new Date(start.getTime() + (content?.exerciseCadenceDays ?? 365) * DAY_MS);
        when = due < now ? now : due;
      }
      const people = await requirePeople(
        tx,
        orgId,
        input.participants.map((p, i) => ({ userId: p.userId, where: `participants[${i}]` })),
      );
      await exercisesRepo.insert(tx, {
        id,
        org_id: orgId,
        plan_id: plan.id,
        plan_version: approved?.version ?? null,
        kind: input.kind,
        title: input.title,
        scenario: input.scenario,
        scheduled_for: when,
        status: 'scheduled',
        created_by_label: ctx.actor.label,
        created_at: now,
      });
      for (const p of input.participants)
        await exercisesRepo.upsertParticipant(tx, {
          exercise_id: id,
          org_id: orgId,
          user_id: p.userId,
          party_org_id: people.get(p.userId)!.orgId,
          role: p.role ?? roleIn(content, p.userId),
          attended: null,
        });
      const e = (await exercisesRepo.get(tx, orgId, id))!;
      await tl(
        tx,
        ctx,
        e,
        now,
        'scheduled',
        `${input.kind} exercise scheduled for ${when.toISOString()}: ${input.title}`,
        {
          participants: input.participants.length,
        },
      );
      await record(tx, ctx, e, 'exercise.scheduled', { planId: plan.id, scheduledFor: when.toISOString() });
      await touch(tx, orgId, 'exercises', now);
    });
    return detail(db, orgId, id, now);
  }

  const note = (ctx: RequestContext, orgId: string, id: string, text: string) =>
    mutate(ctx, orgId, id, ['scheduled', 'held', 'closed'], 'it takes no notes', async (tx, e, now) => {
      await tl(tx, ctx, e, now, 'note', text);
      await record(tx, ctx, e, 'exercise.note_added', {});
    });

  /** Records who attended (people of either party; someone not invited is added) and when it was held. */
  const attendance = (
    ctx: RequestContext,
    orgId: string,
    id: string,
    a: { heldAt: string; attendees: { userId: string; attended: boolean }[] },
  ) =>
    mutate(ctx, orgId, id, ['scheduled', 'held'], 'attendance can no longer change', async (tx, e, now) => {
      const held = new Date(a.heldAt);
      notInFuture(held, 'heldAt', now);
      const people = await requirePeople(
        tx,
        orgId,
        a.attendees.map((x, i) => ({ userId: x.userId, where: `attendees[${i}]` })),
      );
      const plan = (await plansRepo.versions(tx, orgId, [e.plan_id])).find(
        (v) => v.version === e.plan_version,
      );
      const known = new Map((await exercisesRepo.participants(tx, orgId, [id])).map((p) => [p.user_id, p]));
      for (const x of a.attendees)
        await exercisesRepo.upsertParticipant(tx, {
          exercise_id: id,
          org_id: orgId,
          user_id: x.userId,
          party_org_id: people.get(x.userId)!.orgId,
          role: known.get(x.userId)?.role ?? roleIn(plan?.content, x.userId),
          attended: x.attended,
        });
      await exercisesRepo.update(tx, orgId, id, { status: 'held', held_at: held }, now);
      const present = a.attendees.filter((x) => x.attended).map((x) => people.get(x.userId)!.name);
      await tl(
        tx,
        ctx,
        e,
        now,
        'attendance',
        `held at ${held.toISOString()}; attended: ${present.join(', ') || 'nobody'}`,
        {
          heldAt: held.toISOString(),
          attendees: a.attendees,
        },
      );
      await record(tx, ctx, e, 'exercise.attendance_recorded', {
        heldAt: held.toISOString(),
        attended: present.length,
      });
    });

  const finding = (
    ctx: RequestContext,
    orgId: string,
    id: string,
    f: { title: string; detail: string; severity: IncidentSeverity },
  ) =>
    mutate(
      ctx,
      orgId,
      id,
      ['scheduled', 'held'],
      'findings are recorded before it closes',
      async (tx, e, now) => {
        const fid = randomUUID();
        await exercisesRepo.insertFinding(tx, {
          id: fid,
          org_id: orgId,
          exercise_id: id,
          ...f,
          recorded_by_label: ctx.actor.label,
          recorded_at: now,
        });
        await tl(tx, ctx, e, now, 'finding', `finding (${f.severity}): ${f.title}`, { findingId: fid });
        await record(tx, ctx, e, 'exercise.finding_recorded', { findingId: fid, severity: f.severity });
      },
    );

  const addAction = (ctx: RequestContext, orgId: string, id: string, a: NewAction) =>
    mutate(ctx, orgId, id, ['scheduled', 'held', 'closed'], 'it takes no actions', async (tx, _e, now) => {
      await actions.addTx(tx, ctx, orgId, { type: 'exercise', id }, a, now);
    });

  /** Closes a held exercise; its findings must be recorded first. */
  const close = (ctx: RequestContext, orgId: string, id: string, summary: string) =>
    mutate(ctx, orgId, id, ['scheduled', 'held'], 'it cannot close again', async (tx, e, now) => {
      if (e.status !== 'held')
        throw invalidState(`exercise ${id} has no attendance recorded: record who attended first`);
      if ((await exercisesRepo.findings(tx, orgId, id)).length === 0)
        throw invalidState(
          `exercise ${id} has no findings recorded: an exercise closes only with its findings`,
        );
      await exercisesRepo.update(tx, orgId, id, { status: 'closed', closed_at: now, summary }, now);
      await tl(tx, ctx, e, now, 'closed', `closed: ${summary}`);
      await record(tx, ctx, e, 'exercise.closed', {});
    });

  const cancel = (ctx: RequestContext, orgId: string, id: string, reason: string) =>
    mutate(
      ctx,
      orgId,
      id,
      ['scheduled'],
      'only a scheduled exercise can be cancelled',
      async (tx, e, now) => {
        await exercisesRepo.update(tx, orgId, id, { status: 'cancelled', cancel_reason: reason }, now);
        await tl(tx, ctx, e, now, 'cancelled', `cancelled: ${reason}`);
        await record(tx, ctx, e, 'exercise.cancelled', { reason });
      },
    );

  return { list, show, schedule, note, attendance, finding, addAction, close, cancel };
}
