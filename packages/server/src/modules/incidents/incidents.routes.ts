import { z } from 'zod';
import {
  Action,
  ActionParams,
  ActionQuery,
  ChangeActionBody,
  ChangeIncidentBody,
  CloseIncidentBody,
  IdParams,
  Incident,
  IncidentDetail,
  IncidentParams,
  IncidentQuery,
  LinkAlertsBody,
  NewActionBody,
  NoteBody,
  NotificationBody,
  OpenIncidentBody,
  PlaybookBody,
  StepBody,
  StepParams,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { ActionsService } from './actions.service.ts';
import type { IncidentsService } from './incidents.service.ts';

const tags = ['incident response'];
const BASE = '/api/v1/orgs/:id/incidents';
const ONE = `${BASE}/:incidentId`;

export function incidentRoutes(
  app: AccordApp,
  deps: { incidents: IncidentsService; irActions: ActionsService },
) {
  const { incidents, irActions } = deps;
  const detail = { 200: IncidentDetail };

  app.get(
    BASE,
    {
      schema: {
        tags,
        summary: 'Incidents, newest first',
        params: IdParams,
        querystring: IncidentQuery,
        response: { 200: z.array(Incident) },
      },
    },
    async (req) => incidents.list(ctxOf(req), req.params.id, req.query.status),
  );
  app.post(
    BASE,
    {
      schema: {
        tags,
        summary: "Open an incident by hand or from the organisation's alerts",
        params: IdParams,
        body: OpenIncidentBody,
        response: { 201: IncidentDetail },
      },
    },
    async (req, reply) => reply.status(201).send(await incidents.open(ctxOf(req), req.params.id, req.body)),
  );
  app.get(
    ONE,
    {
      schema: {
        tags,
        summary: 'An incident with its timeline, alerts, playbook steps, notification deadlines and actions',
        params: IncidentParams,
        response: detail,
      },
    },
    async (req) => incidents.show(ctxOf(req), req.params.id, req.params.incidentId),
  );
  app.put(
    ONE,
    {
      schema: {
        tags,
        summary: 'Change the given fields (status, severity, affected systems, detection time, ...)',
        params: IncidentParams,
        body: ChangeIncidentBody,
        response: detail,
      },
    },
    async (req) => incidents.change(ctxOf(req), req.params.id, req.params.incidentId, req.body),
  );
  app.post(
    `${ONE}/notes`,
    {
      schema: {
        tags,
        summary: 'Add a note to the timeline',
        params: IncidentParams,
        body: NoteBody,
        response: detail,
      },
    },
    async (req) => incidents.note(ctxOf(req), req.params.id, req.params.incidentId, req.body.text),
  );
  app.post(
    `${ONE}/alerts`,
    {
      schema: {
        tags,
        summary: "Link alerts of the same organisation (another organisation's alert is not found)",
        params: IncidentParams,
        body: LinkAlertsBody,
        response: detail,
      },
    },
    async (req) => incidents.linkAlerts(ctxOf(req), req.params.id, req.params.incidentId, req.body.alertIds),
  );
  app.post(
    `${ONE}/playbook`,
    {
      schema: {
        tags,
        summary: 'Follow a playbook of the approved incident response plan',
        params: IncidentParams,
        body: PlaybookBody,
        response: detail,
      },
    },
    async (req) =>
      incidents.choosePlaybook(ctxOf(req), req.params.id, req.params.incidentId, req.body.playbook),
  );
  app.post(
    `${ONE}/steps/:step`,
    {
      schema: {
        tags,
        summary: 'Tick (or untick) a playbook step',
        params: StepParams,
        body: StepBody,
        response: detail,
      },
    },
    async (req) =>
      incidents.tickStep(
        ctxOf(req),
        req.params.id,
        req.params.incidentId,
        req.params.step,
        req.body.done,
        req.body.note,
      ),
  );
  app.post(
    `${ONE}/notifications`,
    {
      schema: {
        tags,
        summary: 'Record that a party was notified (met or missed against the deadlines)',
        params: IncidentParams,
        body: NotificationBody,
        response: detail,
      },
    },
    async (req) => incidents.notify(ctxOf(req), req.params.id, req.params.incidentId, req.body),
  );
  app.post(
    `${ONE}/close`,
    {
      schema: {
        tags,
        summary: 'Close with root cause and lessons learned',
        params: IncidentParams,
        body: CloseIncidentBody,
        response: detail,
      },
    },
    async (req) => incidents.close(ctxOf(req), req.params.id, req.params.incidentId, req.body),
  );
  app.post(
    `${ONE}/actions`,
    {
      schema: {
        tags,
        summary: 'Add a follow-up action with an owner and a due date',
        params: IncidentParams,
        body: NewActionBody,
        response: { 201: IncidentDetail },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(await incidents.addAction(ctxOf(req), req.params.id, req.params.incidentId, req.body)),
  );

  app.get(
    '/api/v1/orgs/:id/ir/actions',
    {
      schema: {
        tags,
        summary: 'Follow-up actions of incidents and exercises (filter by status, overdue)',
        params: IdParams,
        querystring: ActionQuery,
        response: { 200: z.array(Action) },
      },
    },
    async (req) => irActions.list(ctxOf(req), req.params.id, req.query),
  );
  app.put(
    '/api/v1/orgs/:id/ir/actions/:actionId',
    {
      schema: {
        tags,
        summary: 'Change an action: done, cancelled or reopened; owner, due date, priority',
        params: ActionParams,
        body: ChangeActionBody,
        response: { 200: Action },
      },
    },
    async (req) => irActions.change(ctxOf(req), req.params.id, req.params.actionId, req.body),
  );
}
