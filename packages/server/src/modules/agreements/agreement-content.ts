import type { z } from 'zod';
import type { AgreementControl, AgreementControlInput, CatalogControl } from '@accord/contracts';
import { AppError } from '../../platform/errors.ts';
import { checkParameterValue } from '../catalog/catalog.params.ts';

type ControlInput = z.infer<typeof AgreementControlInput>;
export type AgreementControlT = z.infer<typeof AgreementControl>;

export interface ContentProblem {
  controlId: string;
  parameter?: string;
  message: string;
}

/**
 * Turns the controls a party chose into the agreement's control list: catalog defaults filled in,
 * every parameter checked against its type and floor/ceiling. A value weaker than its floor is
 * accepted only with a written override, which is then carried in the content (and so in the
 * digest and on every export). All problems are reported together.
 */
export function buildControls(
  lookup: (id: string) => CatalogControl | undefined,
  inputs: ControlInput[],
  recordedBy: string,
): AgreementControlT[] {
  const problems: ContentProblem[] = [];
  const belowFloor: ContentProblem[] = [];
  const seen = new Set<string>();
  const out: AgreementControlT[] = [];
  for (const input of inputs) {
    const c = lookup(input.controlId);
    if (!c) {
      problems.push({
        controlId: input.controlId,
        message: `control ${input.controlId} is not in the catalog`,
      });
      continue;
    }
    if (seen.has(c.id)) {
      problems.push({ controlId: c.id, message: `control ${c.id} is listed twice` });
      continue;
    }
    seen.add(c.id);
    const known = new Map(c.parameters.map((p) => [p.name, p]));
    const params: Record<string, number | boolean | string | string[]> = {};
    for (const p of c.parameters) params[p.name] = p.default;
    for (const [name, value] of Object.entries(input.parameters ?? {})) {
      if (!known.has(name)) {
        problems.push({ controlId: c.id, parameter: name, message: `${c.id} has no parameter ${name}` });
        continue;
      }
      params[name] = value;
    }
    const overrides: AgreementControlT['overrides'] = [];
    const given = new Map((input.overrides ?? []).map((o) => [o.parameter, o]));
    for (const [name, value] of Object.entries(params)) {
      const p = known.get(name)!;
      const check = checkParameterValue(p, value);
      if (check.ok) continue;
      if (check.kind === 'type') {
        problems.push({ controlId: c.id, parameter: name, message: check.message });
        continue;
      }
      const o = given.get(name);
      if (!o) {
        belowFloor.push({
          controlId: c.id,
          parameter: name,
          message: `${c.id}: ${check.message}; record an override with a written justification to agree it anyway`,
        });
        continue;
      }
      const limit = (check.kind === 'below_floor' ? p.floor : p.ceiling) as number;
      overrides.push({ parameter: name, justification: o.justification, value, limit, recordedBy });
    }
    for (const name of given.keys()) {
      if (!known.has(name))
        problems.push({
          controlId: c.id,
          parameter: name,
          message: `override for unknown parameter ${name}`,
        });
    }
    out.push({
      controlId: c.id,
      title: c.title,
      group: c.group,
      owner: input.owner ?? c.default_owner,
      parameters: params,
      verification: input.verification ?? c.verification.mode,
      cadence: input.cadence ?? c.cadence,
      notificationSlaHours: input.notificationSlaHours ?? c.notification_sla_hours,
      overrides,
    });
  }
  if (problems.length) {
    throw new AppError('validation_failed', problems.map((p) => p.message).join('; '), {
      problems: [...problems, ...belowFloor],
    });
  }
  if (belowFloor.length) {
    throw new AppError('parameter_below_floor', belowFloor.map((p) => p.message).join('; '), {
      problems: belowFloor,
    });
  }
  return out.sort((a, b) => a.controlId.localeCompare(b.controlId));
}

/** Controls back into inputs (to start an amendment from an earlier version's content). */
export function toInputs(controls: AgreementControlT[]): ControlInput[] {
  return controls.map((c) => ({
    controlId: c.controlId,
    owner: c.owner,
    parameters: c.parameters,
    verification: c.verification,
    cadence: c.cadence,
    notificationSlaHours: c.notificationSlaHours,
    overrides: c.overrides.map((o) => ({ parameter: o.parameter, justification: o.justification })),
  }));
}
