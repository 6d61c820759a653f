import fs from 'node:fs';
import type { Command } from 'commander';
import type { z } from 'zod';
import {
  CloseIncidentBody,
  INCIDENT_STATUSES,
  NoteBody,
  NotificationBody,
  OpenIncidentBody,
} from '@accord/contracts';
import { systemContext } from '../platform/context.ts';
import { CliError, withRuntime, type StoreFlags } from './cli-runtime.ts';
import type { LogsCommandHelpers } from './logs.commands.ts';

/**
 * `accord ir plans|plan-export|exercises|actions` and `accord incident list|show|open|note|notify|close`.
 * They act on the store as the system operator (audited as "system (cli)"), like `accord alerts`.
 * `plan-export` writes the printable copy of a plan (Markdown or HTML) to keep off-line. Approving a
 * plan is an act of a party's member (the API), never of the operator.
 */
type Flags = StoreFlags & { tenant: string };
const print = (v: unknown) => void process.stdout.write(JSON.stringify(v, null, 2) + '\n');
const csv = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

/** Validates options with the API's own schema, before the store is opened (exit 2 when bad). */
function valid<S extends z.ZodTypeAny>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new CliError(
      r.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '),
      2,
    );
  return r.data;
}

export function registerIrCommands(
  program: Command,
  h: Pick<LogsCommandHelpers, 'storeOptions' | 'wholeNumber'>,
) {
  const ctx = () => systemContext();
  const tenant = (c: Command) =>
    h.storeOptions(c).requiredOption('--tenant <orgId>', 'the organisation (id)');

  const ir = program
    .command('ir')
    .description("An organisation's incident response: plans, printable copies, exercises, actions");
  tenant(
    ir
      .command('plans')
      .description('Plans with their approved and draft versions, review and exercise dates'),
  ).action((o: Flags) => withRuntime(o, async (rt) => print(await rt.services.plans.list(ctx(), o.tenant))));
  tenant(ir.command('plan-export').description('Write a plan version as a printable document (hard copy)'))
    .requiredOption('--plan <planId>', 'the plan')
    .option('--version <n>', 'the version (default: the approved one, else the draft)')
    .option('--format <format>', 'markdown or html', 'markdown')
    .option('--out <file>', 'write to FILE instead of standard output')
    .action((o: Flags & { plan: string; version?: string; format: string; out?: string }) => {
      if (o.format !== 'markdown' && o.format !== 'html')
        throw new CliError(`--format must be markdown or html, not ${JSON.stringify(o.format)}`, 2);
      const wanted = o.version === undefined ? null : h.wholeNumber(o.version, '--version');
      return withRuntime(o, async (rt) => {
        const plan = await rt.services.plans.get(ctx(), o.tenant, o.plan);
        const n = wanted ?? plan.approvedVersion ?? plan.draftVersion;
        if (!n) throw new CliError(`plan ${o.plan} has no version to export`, 1);
        const text = await rt.services.plans.exportVersion(ctx(), o.tenant, o.plan, n, o.format as 'html');
        if (o.out) {
          fs.writeFileSync(o.out, text);
          process.stderr.write(`wrote version ${n} of plan ${o.plan} to ${o.out}\n`);
        } else process.stdout.write(text);
      });
    });
  tenant(ir.command('exercises').description('Exercises, latest first')).action((o: Flags) =>
    withRuntime(o, async (rt) => print(await rt.services.exercises.list(ctx(), o.tenant))),
  );
  tenant(ir.command('actions').description('Follow-up actions of incidents and exercises'))
    .option('--status <status>', 'open, done or cancelled')
    .option('--overdue', 'only open actions past their due date')
    .action((o: Flags & { status?: string; overdue?: boolean }) => {
      if (o.status && !['open', 'done', 'cancelled'].includes(o.status))
        throw new CliError(`--status must be open, done or cancelled, not ${JSON.stringify(o.status)}`, 2);
      return withRuntime(o, async (rt) =>
        print(
          await rt.services.irActions.list(ctx(), o.tenant, {
            ...(o.status ? { status: o.status } : {}),
            ...(o.overdue ? { overdue: true } : {}),
          }),
        ),
      );
    });

  const incident = program.command('incident').description("An organisation's incidents");
  tenant(incident.command('list').description('Incidents, newest first'))
    .option('--status <status>', 'open, investigating, contained, recovered or closed')
    .action((o: Flags & { status?: 'open' }) => {
      if (o.status && !(INCIDENT_STATUSES as readonly string[]).includes(o.status))
        throw new CliError(
          `--status must be one of ${INCIDENT_STATUSES.join(', ')}, not ${JSON.stringify(o.status)}`,
          2,
        );
      return withRuntime(o, async (rt) => print(await rt.services.incidents.list(ctx(), o.tenant, o.status)));
    });
  tenant(
    incident
      .command('show <incidentId>')
      .description('One incident: timeline, alerts, playbook steps, deadlines met or missed, actions'),
  ).action((id: string, o: Flags) =>
    withRuntime(o, async (rt) => print(await rt.services.incidents.show(ctx(), o.tenant, id))),
  );
  tenant(incident.command('open').description('Open an incident, by hand or from alerts'))
    .requiredOption('--title <text>', 'what happened')
    .requiredOption('--severity <level>', 'critical, high, medium or low')
    .option('--alerts <ids>', 'alert ids of the same organisation (comma-separated)')
    .option('--detected-at <iso>', 'when it was detected (default: the earliest alert, else now)')
    .option('--systems <names>', 'affected systems (comma-separated)')
    .option('--playbook <key>', 'a playbook of the approved incident response plan')
    .option('--description <text>', 'more detail')
    .action(
      (
        o: Flags & {
          title: string;
          severity: string;
          alerts?: string;
          detectedAt?: string;
          systems?: string;
          playbook?: string;
          description?: string;
        },
      ) => {
        const body = valid(OpenIncidentBody, {
          title: o.title,
          severity: o.severity,
          alertIds: csv(o.alerts),
          affectedSystems: csv(o.systems),
          ...(o.detectedAt ? { detectedAt: o.detectedAt } : {}),
          ...(o.playbook ? { playbook: o.playbook } : {}),
          ...(o.description ? { description: o.description } : {}),
        });
        return withRuntime(o, async (rt) => print(await rt.services.incidents.open(ctx(), o.tenant, body)));
      },
    );
  tenant(incident.command('note <incidentId>').description('Add a note to the timeline'))
    .requiredOption('--text <text>', 'the note')
    .action((id: string, o: Flags & { text: string }) => {
      const b = valid(NoteBody, { text: o.text });
      return withRuntime(o, async (rt) =>
        print(await rt.services.incidents.note(ctx(), o.tenant, id, b.text)),
      );
    });
  tenant(incident.command('notify <incidentId>').description('Record that a party was notified'))
    .requiredOption('--recipient <who>', 'customer, msp, authority, regulator, insurer, law_enforcement, ...')
    .requiredOption('--at <iso>', 'when they were notified')
    .requiredOption('--channel <how>', 'how (phone, e-mail to ..., portal)')
    .option('--note <text>', 'more detail')
    .action((id: string, o: Flags & { recipient: string; at: string; channel: string; note?: string }) => {
      const b = valid(NotificationBody, {
        recipient: o.recipient,
        notifiedAt: o.at,
        channel: o.channel,
        ...(o.note ? { note: o.note } : {}),
      });
      return withRuntime(o, async (rt) => print(await rt.services.incidents.notify(ctx(), o.tenant, id, b)));
    });
  tenant(incident.command('close <incidentId>').description('Close with root cause and lessons learned'))
    .requiredOption('--root-cause <text>', 'the root cause')
    .requiredOption('--lessons <text>', 'lessons learned')
    .action((id: string, o: Flags & { rootCause: string; lessons: string }) => {
      const b = valid(CloseIncidentBody, { rootCause: o.rootCause, lessonsLearned: o.lessons });
      return withRuntime(o, async (rt) => print(await rt.services.incidents.close(ctx(), o.tenant, id, b)));
    });
}
