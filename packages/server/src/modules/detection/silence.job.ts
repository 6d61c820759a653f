import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../../platform/canonical-json.ts';
import type { Db } from '../../platform/db/db.ts';
import type { Logger } from '../../platform/logger.ts';
import { isSilent, type SourceRow } from '../telemetry/sources.service.ts';
import { recordDetections, SYSTEM_ACTOR } from './alerts.repo.ts';
import type { DetectionSettingsResolver } from './tenant-context.ts';
import { startIntervalJob } from '../../platform/interval-job.ts';

/**
 * Source silence: a `source-silent` alert per log source that has sent nothing beyond its expected
 * interval (the same test as coverage and the sources list), resolved by the system when the
 * source speaks again. Runs on a schedule like log retention.
 */
export const SILENT_RULE_ID = 'source-silent';

export function createSilenceCheck({
  db,
  settings,
}: {
  db: Db;
  settings: Pick<DetectionSettingsResolver, 'settingsFor'>;
}) {
  async function run(now = new Date()): Promise<{ raised: number; resolved: number }> {
    const sources = (await db
      .selectFrom('log_sources')
      .select([
        'id',
        'org_id',
        'kind',
        'name',
        'expected_interval_minutes',
        'created_at',
        'disabled_at',
        'last_received_at',
      ])
      .execute()) as SourceRow[];
    const live = await db
      .selectFrom('alerts')
      .select(['id', 'org_id', 'group_key', 'status'])
      .where('rule_id', '=', SILENT_RULE_ID)
      .where('status', 'in', ['open', 'acknowledged'])
      .execute();
    const liveBy = new Map(live.map((a) => [`${a.org_id} ${a.group_key}`, a]));
    let raised = 0;
    let resolved = 0;
    for (const s of sources) {
      const groupValues = { sourceId: s.id };
      const groupKey = canonicalJson(groupValues);
      const alert = liveBy.get(`${s.org_id} ${groupKey}`);
      const silent = isSilent(s, now.getTime());
      if (silent && !alert) {
        const since = new Date(s.last_received_at ?? s.created_at).toISOString();
        const { notifyMinutes } = await settings.settingsFor(s.org_id);
        await db.transaction().execute((tx) =>
          recordDetections(
            tx,
            s.org_id,
            [
              {
                ruleId: SILENT_RULE_ID,
                ruleTitle: `Log source silent: ${s.name}`,
                level: 'medium',
                orgId: s.org_id,
                groupKey,
                groupValues,
                firstSeen: since,
                lastSeen: now.toISOString(),
                eventCount: 0,
                evidence: [],
                summary: `log source ${s.name} has sent nothing since ${since} (expected every ${s.expected_interval_minutes} min)`,
              },
            ],
            { notifyMinutes, now },
          ),
        );
        raised++;
      } else if (!silent && alert) {
        await db.transaction().execute(async (tx) => {
          const r = await tx
            .updateTable('alerts')
            .set({ status: 'resolved', updated_at: now })
            .where('org_id', '=', s.org_id)
            .where('id', '=', alert.id)
            .where('status', 'in', ['open', 'acknowledged'])
            .executeTakeFirst();
          if (Number(r.numUpdatedRows) === 0) return;
          await tx
            .insertInto('alert_history')
            .values({
              id: randomUUID(),
              org_id: s.org_id,
              alert_id: alert.id,
              at: now,
              actor_label: SYSTEM_ACTOR,
              actor_user_id: null,
              from_status: alert.status,
              to_status: 'resolved',
              reason: `log source ${s.name} sent logs again`,
            })
            .execute();
        });
        resolved++;
      }
    }
    return { raised, resolved };
  }
  return { run };
}
export type SilenceCheck = ReturnType<typeof createSilenceCheck>;

export function startSilenceJob(
  check: SilenceCheck,
  { intervalMs, logger }: { intervalMs: number; logger: Pick<Logger, 'info' | 'error'> },
) {
  const run = async () => {
    const r = await check.run();
    if (r.raised || r.resolved) logger.info(r, 'source silence checked');
  };
  return startIntervalJob(run, { intervalMs, logger, what: 'source silence check' });
}
