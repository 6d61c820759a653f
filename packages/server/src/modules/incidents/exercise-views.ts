import type { PlanContent, PlanRole } from '@accord/contracts';
import type { Executor } from '../../platform/db/db.ts';
import { notFound } from '../../platform/errors.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import type { ActionsService } from './actions.service.ts';
import { exercisesRepo, type ExerciseRow, type ParticipantRow } from './exercises.repo.ts';
import { readTimeline } from './ir-access.ts';

/** Read models of exercises. */
/** Held by people of more than one party: those who attended once held, else those invited. */
export function isJoint(
  e: Pick<ExerciseRow, 'status'>,
  ps: Pick<ParticipantRow, 'party_org_id' | 'attended'>[],
) {
  const counted = e.status === 'held' || e.status === 'closed' ? ps.filter((p) => p.attended) : ps;
  return new Set(counted.map((p) => p.party_org_id)).size > 1;
}

export const roleIn = (c: PlanContent | undefined, userId: string): PlanRole | null =>
  c?.roles.find((r) => r.userId === userId || r.deputyUserId === userId)?.role ?? null;

export function toExercise(e: ExerciseRow, ps: ParticipantRow[]) {
  return {
    id: e.id,
    orgId: e.org_id,
    planId: e.plan_id,
    planVersion: e.plan_version,
    kind: e.kind,
    title: e.title,
    scenario: e.scenario,
    scheduledFor: iso(e.scheduled_for),
    status: e.status,
    heldAt: isoOrNull(e.held_at),
    closedAt: isoOrNull(e.closed_at),
    joint: isJoint(e, ps),
  };
}

/** An exercise with participants, findings, actions and timeline (404 when not the organisation's). */
export async function exerciseDetail(
  ex: Executor,
  orgId: string,
  id: string,
  actions: Pick<ActionsService, 'of'>,
  now = new Date(),
) {
  const e = await exercisesRepo.get(ex, orgId, id);
  if (!e) throw notFound('exercise', id);
  const ps = await exercisesRepo.participants(ex, orgId, [id]);
  return {
    ...toExercise(e, ps),
    summary: e.summary,
    cancelReason: e.cancel_reason,
    participants: ps.map((p) => ({
      userId: p.user_id,
      orgId: p.party_org_id,
      name: p.name,
      email: p.email,
      role: p.role as PlanRole | null,
      attended: p.attended,
    })),
    findings: (await exercisesRepo.findings(ex, orgId, id)).map((f) => ({
      id: f.id,
      title: f.title,
      detail: f.detail,
      severity: f.severity,
      recordedBy: f.recorded_by_label,
      recordedAt: iso(f.recorded_at),
    })),
    actions: await actions.of(ex, orgId, 'exercise', id, now),
    timeline: await readTimeline(ex, orgId, 'exercise', id),
  };
}
