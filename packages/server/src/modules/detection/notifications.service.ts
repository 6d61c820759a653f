import { createHmac, randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { AlertLevel } from '@accord/contracts';
import { notFound } from '../../platform/errors.ts';
import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import { randomToken, seal, unseal } from '../../platform/crypto.ts';
import type { Db } from '../../platform/db/db.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import type { Logger } from '../../platform/logger.ts';
import type { AuditService } from '../audit/audit.service.ts';

/**
 * Notification channels (webhooks and e-mail) and the delivery of the outbox alerts.repo.ts fills.
 * Each outbox row is tried until it is delivered; a failure waits base * 2^(attempt-1) before the
 * next try (capped), every attempt is logged with its status code or error, and the schedule lives
 * in the database so a restart continues it. A delivery records whether it met the agreement's
 * alert notification time (due_by).
 *
 * Webhooks: POST of the JSON body with `X-Accord-Timestamp` (unix seconds, also in the body as
 * `sentAt`, so the signature covers it: receivers refuse old timestamps to stop replays) and
 * `X-Accord-Signature: sha256=<hex HMAC-SHA256 of the raw body with the channel secret>`. The secret
 * is shown once and stored sealed with the instance key (it must be read back to sign).
 */
export const signBody = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const MAX_ATTEMPTS = 10;
const MAX_BACKOFF_MS = 3_600_000;

export type NotificationsService = ReturnType<typeof createNotificationsService>;

export function createNotificationsService({
  db,
  audit,
  secretKey,
  smtpUrl,
  smtpFrom,
  retryBaseMs = 30_000,
  logger,
}: {
  db: Db;
  audit: AuditService;
  secretKey: Buffer;
  smtpUrl?: string | undefined;
  smtpFrom: string;
  retryBaseMs?: number;
  logger?: Pick<Logger, 'warn' | 'error'>;
}) {
  const mailer = smtpUrl ? nodemailer.createTransport(smtpUrl) : null;

  const toChannel = (c: {
    id: string;
    org_id: string;
    kind: 'webhook' | 'email';
    name: string;
    url: string | null;
    email_to: string | null;
    min_level: string;
    created_at: Date;
  }) => ({
    id: c.id,
    orgId: c.org_id,
    kind: c.kind,
    name: c.name,
    url: c.url,
    to: c.email_to,
    minLevel: c.min_level as AlertLevel,
    createdAt: iso(c.created_at),
  });

  async function create(
    ctx: RequestContext,
    orgId: string,
    input:
      | { kind: 'webhook'; name: string; url: string; minLevel: AlertLevel }
      | { kind: 'email'; name: string; to: string; minLevel: AlertLevel },
  ) {
    await requireTenant(db, ctx, orgId, 'alerts:manage');
    const id = randomUUID();
    const secret = input.kind === 'webhook' ? `whsec_${randomToken(32)}` : null;
    return db.transaction().execute(async (tx) => {
      await tx
        .insertInto('notification_channels')
        .values({
          id,
          org_id: orgId,
          kind: input.kind,
          name: input.name,
          url: input.kind === 'webhook' ? input.url : null,
          email_to: input.kind === 'email' ? input.to : null,
          secret_sealed: secret ? seal(secretKey, secret) : null,
          min_level: input.minLevel,
        })
        .execute();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'notification_channel.created',
        targetType: 'notification_channel',
        targetId: id,
        after: { kind: input.kind, name: input.name, minLevel: input.minLevel },
      });
      const row = await tx
        .selectFrom('notification_channels')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return { ...toChannel(row), secret };
    });
  }

  async function list(ctx: RequestContext, orgId: string) {
    await requireTenant(db, ctx, orgId, 'alerts:read');
    const rows = await db
      .selectFrom('notification_channels')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('disabled_at', 'is', null)
      .orderBy('created_at')
      .execute();
    return rows.map(toChannel);
  }

  async function remove(ctx: RequestContext, orgId: string, channelId: string) {
    await requireTenant(db, ctx, orgId, 'alerts:manage');
    await db.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable('notification_channels')
        .set({ disabled_at: new Date() })
        .where('org_id', '=', orgId)
        .where('id', '=', channelId)
        .where('disabled_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw notFound('notification channel', channelId);
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'notification_channel.removed',
        targetType: 'notification_channel',
        targetId: channelId,
      });
    });
  }

  /** The delivery log of the organisation's channels, newest first. */
  async function deliveries(ctx: RequestContext, orgId: string, limit = 100) {
    await requireTenant(db, ctx, orgId, 'alerts:read');
    const rows = await db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    const attempts = rows.length
      ? await db
          .selectFrom('notification_deliveries')
          .selectAll()
          .where('org_id', '=', orgId)
          .where(
            'outbox_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('attempt')
          .execute()
      : [];
    return rows.map((r) => ({
      outboxId: r.id,
      channelId: r.channel_id,
      alertId: r.alert_id,
      event: r.event,
      status: r.status,
      dueBy: iso(r.due_by),
      deliveredAt: isoOrNull(r.delivered_at),
      metSla: r.met_sla,
      attempts: attempts
        .filter((a) => a.outbox_id === r.id)
        .map((a) => ({
          attempt: a.attempt,
          at: iso(a.at),
          ok: a.ok,
          statusCode: a.status_code,
          error: a.error,
        })),
    }));
  }

  async function send(
    channel: { kind: string; url: string | null; email_to: string | null; secret_sealed: string | null },
    payload: { event: string; alert: { title: string; level: string; summary: string } } & Record<
      string,
      unknown
    >,
    at: Date,
  ): Promise<{ ok: boolean; statusCode: number | null; error: string | null }> {
    if (channel.kind === 'webhook') {
      const ts = Math.floor(at.getTime() / 1000);
      const body = JSON.stringify({ ...payload, sentAt: ts });
      const secret = unseal(secretKey, channel.secret_sealed!);
      try {
        const res = await fetch(channel.url!, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-accord-timestamp': String(ts),
            'x-accord-signature': signBody(secret, body),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        return { ok: res.ok, statusCode: res.status, error: res.ok ? null : `HTTP ${res.status}` };
      } catch (e) {
        return { ok: false, statusCode: null, error: (e as Error).message.slice(0, 500) };
      }
    }
    if (!mailer)
      return { ok: false, statusCode: null, error: 'no SMTP server is configured (ACCORD_SMTP_URL)' };
    try {
      const a = payload.alert;
      await mailer.sendMail({
        from: smtpFrom,
        to: channel.email_to!,
        subject: `[Accord ${a.level}] ${a.title}`,
        text: `${a.title}\n\n${a.summary}\n\n${JSON.stringify(payload, null, 2)}\n`,
      });
      return { ok: true, statusCode: null, error: null };
    } catch (e) {
      return { ok: false, statusCode: null, error: (e as Error).message.slice(0, 500) };
    }
  }

  /**
   * Delivers what is due: each row is claimed with FOR UPDATE SKIP LOCKED (several workers never send
   * the same row twice at once), sent, and its outcome logged with the next attempt time.
   */
  async function deliverDue(
    opts: { now?: () => Date; alertOrgId?: string } = {},
  ): Promise<{ delivered: number; failed: number }> {
    const now = opts.now ?? (() => new Date());
    let delivered = 0;
    let failed = 0;
    for (;;) {
      const done = await db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('notification_outbox')
          .selectAll()
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', now())
          .$if(opts.alertOrgId !== undefined, (q) => q.where('alert_org_id', '=', opts.alertOrgId!))
          .orderBy('next_attempt_at')
          .limit(1)
          .forUpdate()
          .skipLocked()
          .executeTakeFirst();
        if (!row) return false;
        const channel = await tx
          .selectFrom('notification_channels')
          .select(['kind', 'url', 'email_to', 'secret_sealed', 'disabled_at'])
          .where('org_id', '=', row.org_id)
          .where('id', '=', row.channel_id)
          .executeTakeFirstOrThrow();
        const attempt = row.attempts + 1;
        const at = now();
        const payload = (
          typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload
        ) as Parameters<typeof send>[1];
        const r = channel.disabled_at
          ? { ok: false, statusCode: null, error: 'the channel was removed' }
          : await send(channel, payload, at);
        await tx
          .insertInto('notification_deliveries')
          .values({
            id: randomUUID(),
            org_id: row.org_id,
            outbox_id: row.id,
            attempt,
            at,
            ok: r.ok,
            status_code: r.statusCode,
            error: r.error,
          })
          .execute();
        const giveUp = !r.ok && (attempt >= MAX_ATTEMPTS || channel.disabled_at !== null);
        const wait = Math.min(MAX_BACKOFF_MS, retryBaseMs * 2 ** (attempt - 1));
        await tx
          .updateTable('notification_outbox')
          .set({
            attempts: attempt,
            status: r.ok ? 'delivered' : giveUp ? 'failed' : 'pending',
            delivered_at: r.ok ? at : null,
            met_sla: r.ok ? at <= new Date(row.due_by) : giveUp ? false : null,
            next_attempt_at: new Date(at.getTime() + wait),
          })
          .where('id', '=', row.id)
          .execute();
        if (r.ok) delivered++;
        else {
          failed++;
          logger?.warn(
            { outboxId: row.id, attempt, error: r.error },
            'alert notification failed; will retry',
          );
        }
        return true;
      });
      if (!done) return { delivered, failed };
    }
  }

  return { create, list, remove, deliveries, deliverDue };
}

/**
 * Runs deliveries every `intervalMs`, and soon after `poke()` (an ingest batch that raised an alert
 * committed). One run at a time; `stop()` waits for the run in progress.
 */
export function startNotificationJob(
  service: Pick<NotificationsService, 'deliverDue'>,
  { intervalMs, logger }: { intervalMs: number; logger: Pick<Logger, 'error'> },
) {
  let current: Promise<unknown> | null = null;
  let again = false;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    if (current) {
      again = true;
      return;
    }
    current = service
      .deliverDue()
      .catch((err: unknown) => logger.error({ err }, 'alert notification run failed'))
      .finally(() => {
        current = null;
        if (again) {
          again = false;
          setImmediate(tick);
        }
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    poke: () => setImmediate(tick),
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
