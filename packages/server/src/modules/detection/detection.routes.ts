import { z } from 'zod';
import {
  AddRuleBody,
  AddRuleResult,
  AlertDetail,
  AlertPage,
  AlertParams,
  AlertQuery,
  AlertTransitionBody,
  ChannelParams,
  CreateChannelBody,
  CreatedChannel,
  CreateSuppressionBody,
  DetectionRule,
  DetectRunBody,
  DetectRunResult,
  IdParams,
  NotificationChannel,
  NotificationDelivery,
  RuleParams,
  Suppression,
  SuppressionParams,
  TuneRuleBody,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { AlertsService } from './alerts.service.ts';
import type { HistoryService } from './history.service.ts';
import type { NotificationsService } from './notifications.service.ts';
import type { RulesService } from './rules.service.ts';

const tags = ['detection'];

export function detectionRoutes(
  app: AccordApp,
  deps: {
    rules: RulesService;
    alerts: AlertsService;
    history: HistoryService;
    notifications: NotificationsService;
  },
) {
  const { rules, alerts, history, notifications } = deps;

  app.get(
    '/api/v1/orgs/:id/rules',
    {
      schema: {
        tags,
        summary: 'The detection rules the tenant runs (built-in, MSP and custom) with their tuning',
        params: IdParams,
        response: { 200: z.array(DetectionRule) },
      },
    },
    async (req) => rules.list(ctxOf(req), req.params.id),
  );
  app.post(
    '/api/v1/orgs/:id/rules',
    {
      schema: {
        tags,
        summary: 'Add custom Sigma rules; refused with the reasons when they do not compile',
        params: IdParams,
        body: AddRuleBody,
        response: { 201: AddRuleResult },
      },
    },
    async (req, reply) => reply.status(201).send(await rules.add(ctxOf(req), req.params.id, req.body)),
  );
  app.put(
    '/api/v1/orgs/:id/rules/:ruleId/settings',
    {
      schema: {
        tags,
        summary: 'Enable, disable or tune a rule for this tenant (timespan, threshold, level)',
        params: RuleParams,
        body: TuneRuleBody,
        response: { 200: DetectionRule },
      },
    },
    async (req) => rules.tune(ctxOf(req), req.params.id, req.params.ruleId, req.body),
  );

  app.get(
    '/api/v1/orgs/:id/alerts',
    {
      schema: {
        tags,
        summary: "The tenant's alerts, newest first (filter by status, level, rule; cursor pages)",
        params: IdParams,
        querystring: AlertQuery,
        response: { 200: AlertPage },
      },
    },
    async (req) => alerts.list(ctxOf(req), req.params.id, req.query),
  );
  app.get(
    '/api/v1/orgs/:id/alerts/:alertId',
    {
      schema: {
        tags,
        summary: 'One alert with its evidence events and history',
        params: AlertParams,
        response: { 200: AlertDetail },
      },
    },
    async (req) => alerts.show(ctxOf(req), req.params.id, req.params.alertId),
  );
  app.post(
    '/api/v1/orgs/:id/alerts/:alertId/status',
    {
      schema: {
        tags,
        summary: 'Acknowledge, resolve or mark an alert a false positive (with the reason)',
        params: AlertParams,
        body: AlertTransitionBody,
        response: { 200: AlertDetail },
      },
    },
    async (req) =>
      alerts.transition(ctxOf(req), req.params.id, req.params.alertId, req.body.status, req.body.reason),
  );

  app.get(
    '/api/v1/orgs/:id/suppressions',
    {
      schema: {
        tags,
        summary: 'Active alert suppressions',
        params: IdParams,
        response: { 200: z.array(Suppression) },
      },
    },
    async (req) => alerts.listSuppressions(ctxOf(req), req.params.id),
  );
  app.post(
    '/api/v1/orgs/:id/suppressions',
    {
      schema: {
        tags,
        summary: 'Suppress detections of a rule and/or group values until an expiry (counted, not notified)',
        params: IdParams,
        body: CreateSuppressionBody,
        response: { 201: Suppression },
      },
    },
    async (req, reply) => reply.status(201).send(await alerts.suppress(ctxOf(req), req.params.id, req.body)),
  );
  app.delete(
    '/api/v1/orgs/:id/suppressions/:suppressionId',
    { schema: { tags, summary: 'Remove a suppression', params: SuppressionParams } },
    async (req, reply) => {
      await alerts.unsuppress(ctxOf(req), req.params.id, req.params.suppressionId);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/orgs/:id/notification-channels',
    {
      schema: {
        tags,
        summary: 'Alert notification channels (webhooks, e-mail)',
        params: IdParams,
        response: { 200: z.array(NotificationChannel) },
      },
    },
    async (req) => notifications.list(ctxOf(req), req.params.id),
  );
  app.post(
    '/api/v1/orgs/:id/notification-channels',
    {
      schema: {
        tags,
        summary: 'Add a channel; a webhook signing secret is shown once',
        params: IdParams,
        body: CreateChannelBody,
        response: { 201: CreatedChannel },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await notifications.create(ctxOf(req), req.params.id, req.body)),
  );
  app.delete(
    '/api/v1/orgs/:id/notification-channels/:channelId',
    { schema: { tags, summary: 'Remove a notification channel', params: ChannelParams } },
    async (req, reply) => {
      await notifications.remove(ctxOf(req), req.params.id, req.params.channelId);
      return reply.status(204).send();
    },
  );
  app.get(
    '/api/v1/orgs/:id/notifications',
    {
      schema: {
        tags,
        summary:
          'Notification delivery log: each attempt with status code or error, and whether the SLA was met',
        params: IdParams,
        response: { 200: z.array(NotificationDelivery) },
      },
    },
    async (req) => notifications.deliveries(ctxOf(req), req.params.id),
  );

  app.post(
    '/api/v1/orgs/:id/detect/runs',
    {
      schema: {
        tags,
        summary:
          "Run the tenant's rules over stored events in [from, to); reports detections (record: also alert)",
        params: IdParams,
        body: DetectRunBody,
        response: { 200: DetectRunResult },
      },
    },
    async (req) => history.run(ctxOf(req), req.params.id, req.body),
  );
}
