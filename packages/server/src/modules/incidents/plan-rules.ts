import {
  ADVISORY_ROLES,
  REQUIRED_ROLE_MEANING,
  STANDARD_PLAYBOOKS,
  type PlanContent,
  type PlanKind,
  type PlanRole,
} from '@accord/contracts';
import type { Person } from './ir-access.ts';

/**
 * The rules a plan's content is held to: which people it names, when a role counts as filled, and
 * what a version needs before it can be approved. Pure functions over the content and the people
 * resolved from the directory (a person who left counts as missing).
 */

export const roleLabel = (r: string) => r.replace(/_/g, ' ');

/** Every person the content names, with where (for "unknown person" errors). */
export function peopleRefs(c: PlanContent): { userId: string; where: string }[] {
  return [
    ...c.roles.flatMap((r, i) => [
      { userId: r.userId, where: `roles[${i}] (${r.role})` },
      ...(r.deputyUserId ? [{ userId: r.deputyUserId, where: `roles[${i}] deputy (${r.role})` }] : []),
    ]),
    ...c.contactTree.map((t, i) => ({ userId: t.userId, where: `contactTree[${i}]` })),
  ];
}

/**
 * A role is filled when a current member holds it and that person (or the deputy) has an
 * out-of-band contact in the contact tree (IRP-01: "a named person and out-of-band contact").
 */
export function roleFilled(c: PlanContent, role: PlanRole, people: Map<string, Person>): boolean {
  const reachable = new Set(c.contactTree.filter((t) => t.outOfBand.length > 0).map((t) => t.userId));
  return c.roles.some(
    (r) => r.role === role && [r.userId, r.deputyUserId].some((u) => u && people.has(u) && reachable.has(u)),
  );
}

/** The names of IRP-01's `required_roles` that the content does not fill; unknown names throw. */
export function unfilledRoles(c: PlanContent, required: string[], people: Map<string, Person>): string[] {
  const unknown = required.filter((n) => !REQUIRED_ROLE_MEANING[n]);
  if (unknown.length)
    throw new Error(
      `required_roles names ${unknown.join(', ')}, which plans do not have (known: ${Object.keys(REQUIRED_ROLE_MEANING).join(', ')})`,
    );
  return required.filter((n) => !REQUIRED_ROLE_MEANING[n]!.every((r) => roleFilled(c, r, people)));
}

/** Why a version cannot be approved yet; empty when it can. */
export function missingForApproval(kind: PlanKind, c: PlanContent, people: Map<string, Person>): string[] {
  const out: string[] = [];
  const gone = [...new Set(peopleRefs(c).map((r) => r.userId))].filter((u) => !people.has(u));
  if (gone.length) out.push(`no longer a member of either party: ${gone.join(', ')}`);
  for (const role of ADVISORY_ROLES) {
    if (!c.roles.some((r) => r.role === role && people.has(r.userId)))
      out.push(
        `no ${roleLabel(role)} named (the advisory's roles: executive, technical lead, procurement officer)`,
      );
    else if (!roleFilled(c, role, people))
      out.push(`the ${roleLabel(role)} has no out-of-band contact in the contact tree`);
  }
  if (c.severityScale.length === 0) out.push('no severity scale');
  if (kind === 'incident_response') {
    const have = new Set(c.playbooks.map((p) => p.incidentType));
    for (const p of STANDARD_PLAYBOOKS) if (!have.has(p)) out.push(`no playbook for ${roleLabel(p)}`);
  } else if (c.recoveryObjectives.length === 0) {
    out.push('no recovery objectives (RTO and RPO per critical system)');
  }
  return out;
}

/** The organisations that must approve a version: the plan's owner and each party named in it. */
export function approvalsNeeded(orgId: string, c: PlanContent, people: Map<string, Person>): string[] {
  const orgs = new Set([orgId]);
  for (const r of peopleRefs(c)) {
    const p = people.get(r.userId);
    if (p) orgs.add(p.orgId);
  }
  return [...orgs].sort();
}

/** Content checks that do not depend on the directory (400 on save). */
export function contentErrors(c: PlanContent): string[] {
  const out: string[] = [];
  const dup = <T>(xs: T[]) => xs.filter((x, i) => xs.indexOf(x) !== i);
  for (const l of new Set(dup(c.severityScale.map((s) => s.level))))
    out.push(`severityScale: level ${l} is defined twice`);
  for (const t of new Set(dup(c.playbooks.map((p) => p.incidentType))))
    out.push(`playbooks: ${t} is defined twice`);
  for (const u of new Set(dup(c.contactTree.map((t) => t.userId))))
    out.push(`contactTree: user ${u} is listed twice`);
  for (const s of new Set(dup(c.recoveryObjectives.map((r) => r.system.toLowerCase()))))
    out.push(`recoveryObjectives: system ${s} is listed twice`);
  c.roles.forEach((r, i) => {
    if (r.deputyUserId && r.deputyUserId === r.userId)
      out.push(`roles[${i}]: the deputy of the ${roleLabel(r.role)} is the same person`);
  });
  return out;
}
