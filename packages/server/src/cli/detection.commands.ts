import fs from 'node:fs';
import type { Command } from 'commander';
import { systemContext } from '../platform/context.ts';
import { CliError, withRuntime, type StoreFlags } from './cli-runtime.ts';
import type { LogsCommandHelpers } from './logs.commands.ts';

/**
 * `accord rules list|add|disable|enable|tune`, `accord alerts list|show|ack|resolve|false-positive`
 * and `accord detect` (a history run). They act on the store as the system operator (audited as
 * "system (cli)"), like `accord logs verify`.
 */
type Flags = StoreFlags & { tenant: string; json?: boolean };
const print = (v: unknown) => void process.stdout.write(JSON.stringify(v, null, 2) + '\n');
const isoOption = (v: string | undefined, name: string) => {
  if (v !== undefined && Number.isNaN(Date.parse(v)))
    throw new CliError(`${name} must be an ISO-8601 time, not ${JSON.stringify(v)}`, 2);
  return v === undefined ? undefined : new Date(v).toISOString();
};

export function registerDetectionCommands(
  program: Command,
  h: Pick<LogsCommandHelpers, 'storeOptions' | 'wholeNumber'>,
) {
  const ctx = () => systemContext();
  const rules = program
    .command('rules')
    .description("A tenant's detection rules: list, add Sigma rules, disable, tune");
  h.storeOptions(rules.command('list').description('The rules the tenant runs, with their tuning'))
    .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
    .action((o: Flags) => withRuntime(o, async (rt) => print(await rt.services.rules.list(ctx(), o.tenant))));
  h.storeOptions(
    rules.command('add <file>').description('Add the Sigma rules in FILE (refused if they do not compile)'),
  )
    .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
    .option('--for-customers', "an MSP's rule that also runs for all its customers")
    .action((file: string, o: Flags & { forCustomers?: boolean }) => {
      const yaml = fs.readFileSync(file, 'utf8');
      return withRuntime(o, async (rt) =>
        print(await rt.services.rules.add(ctx(), o.tenant, { yaml, forCustomers: Boolean(o.forCustomers) })),
      );
    });
  for (const [verb, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const)
    h.storeOptions(
      rules
        .command(`${verb} <ruleId>`)
        .description(`${verb === 'disable' ? 'Stop' : 'Resume'} running a rule for the tenant`),
    )
      .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
      .action((ruleId: string, o: Flags) =>
        withRuntime(o, async (rt) =>
          print(await rt.services.rules.tune(ctx(), o.tenant, ruleId, { enabled })),
        ),
      );
  h.storeOptions(
    rules
      .command('tune <ruleId>')
      .description("Tune a rule for the tenant (a correlation's timespan and threshold; level)"),
  )
    .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
    .option('--timespan <span>', 'e.g. 5m, 1h')
    .option('--threshold <n>', 'the count that fires the correlation')
    .option('--level <level>', 'informational, low, medium, high or critical')
    .action((ruleId: string, o: Flags & { timespan?: string; threshold?: string; level?: string }) => {
      const change = {
        ...(o.timespan ? { timespan: o.timespan } : {}),
        ...(o.threshold ? { threshold: h.wholeNumber(o.threshold, '--threshold') } : {}),
        ...(o.level ? { level: o.level } : {}),
      };
      if (Object.keys(change).length === 0)
        throw new CliError('say what to tune: --timespan, --threshold or --level', 2);
      return withRuntime(o, async (rt) =>
        print(await rt.services.rules.tune(ctx(), o.tenant, ruleId, change)),
      );
    });

  const alerts = program.command('alerts').description("A tenant's alerts: list, show, acknowledge, resolve");
  h.storeOptions(alerts.command('list').description('Alerts, newest first'))
    .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
    .option('--status <status>', 'open, acknowledged, resolved or false_positive')
    .option('--limit <n>', 'at most this many', '50')
    .action((o: Flags & { status?: 'open'; limit: string }) =>
      withRuntime(o, async (rt) =>
        print(
          await rt.services.alerts.list(ctx(), o.tenant, {
            ...(o.status ? { status: o.status } : {}),
            limit: h.wholeNumber(o.limit, '--limit', 500),
          }),
        ),
      ),
    );
  h.storeOptions(alerts.command('show <alertId>').description('One alert with its evidence and history'))
    .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
    .action((id: string, o: Flags) =>
      withRuntime(o, async (rt) => print(await rt.services.alerts.show(ctx(), o.tenant, id))),
    );
  for (const [verb, status] of [
    ['ack', 'acknowledged'],
    ['resolve', 'resolved'],
    ['false-positive', 'false_positive'],
  ] as const)
    h.storeOptions(
      alerts.command(`${verb} <alertId>`).description(`Mark an alert ${status.replace('_', ' ')}`),
    )
      .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
      .option('--reason <text>', 'why (required to resolve or mark a false positive)')
      .action((id: string, o: Flags & { reason?: string }) =>
        withRuntime(o, async (rt) =>
          print(await rt.services.alerts.transition(ctx(), o.tenant, id, status, o.reason)),
        ),
      );

  h.storeOptions(
    program.command('detect').description("Run the tenant's rules over its stored events (history run)"),
  )
    .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
    .requiredOption('--from <iso>', 'events at or after this time')
    .requiredOption('--to <iso>', 'events before this time')
    .option('--rules <ids>', 'only these rules (comma-separated ids)')
    .option('--record', 'also record the detections as alerts')
    .option('--json', 'print the full result as JSON')
    .action((o: Flags & { from: string; to: string; rules?: string; record?: boolean }) => {
      const from = isoOption(o.from, '--from')!;
      const to = isoOption(o.to, '--to')!;
      return withRuntime(o, async (rt) => {
        const r = await rt.services.history.run(ctx(), o.tenant, {
          from,
          to,
          rules: o.rules?.split(',').map((s) => s.trim()),
          record: Boolean(o.record),
        });
        if (o.json) return print(r);
        process.stdout.write(
          `${r.eventsScanned} events scanned, ${r.detections.length} detection(s)${o.record ? `, ${r.recorded} recorded` : ''}\n`,
        );
        for (const d of r.detections)
          process.stdout.write(`  [${d.level}] ${d.ruleId} ${d.groupKey} x${d.eventCount}: ${d.summary}\n`);
      });
    });
}
