import { z } from 'zod';
import {
  AttendanceBody,
  CancelExerciseBody,
  CloseExerciseBody,
  Exercise,
  ExerciseDetail,
  ExerciseParams,
  FindingBody,
  IdParams,
  NewActionBody,
  NoteBody,
  ScheduleExerciseBody,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import type { ExercisesService } from './exercises.service.ts';

const tags = ['incident response'];
const BASE = '/api/v1/orgs/:id/ir/exercises';
const ONE = `${BASE}/:exerciseId`;

export function exerciseRoutes(app: AccordApp, { exercises }: { exercises: ExercisesService }) {
  const detail = { 200: ExerciseDetail };
  app.get(
    BASE,
    {
      schema: {
        tags,
        summary: 'Exercises, latest first',
        params: IdParams,
        response: { 200: z.array(Exercise) },
      },
    },
    async (req) => exercises.list(ctxOf(req), req.params.id),
  );
  app.post(
    BASE,
    {
      schema: {
        tags,
        summary: "Schedule an exercise of a plan (by default when the plan's cadence makes it due)",
        params: IdParams,
        body: ScheduleExerciseBody,
        response: { 201: ExerciseDetail },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await exercises.schedule(ctxOf(req), req.params.id, req.body)),
  );
  app.get(
    ONE,
    {
      schema: {
        tags,
        summary: 'An exercise with participants and attendance, findings, actions and timeline',
        params: ExerciseParams,
        response: detail,
      },
    },
    async (req) => exercises.show(ctxOf(req), req.params.id, req.params.exerciseId),
  );
  const post = <B extends z.ZodTypeAny>(
    path: string,
    summary: string,
    body: B,
    run: (ctx: ReturnType<typeof ctxOf>, orgId: string, id: string, b: z.infer<B>) => Promise<unknown>,
    status: 200 | 201 = 200,
  ) =>
    app.post(
      `${ONE}/${path}`,
      { schema: { tags, summary, params: ExerciseParams, body, response: { [status]: ExerciseDetail } } },
      async (req, reply) =>
        reply
          .status(status)
          .send(
            (await run(ctxOf(req), req.params.id, req.params.exerciseId, req.body as z.infer<B>)) as never,
          ),
    );
  post('notes', 'Add a note to the exercise timeline', NoteBody, (c, o, i, b) =>
    exercises.note(c, o, i, b.text),
  );
  post('attendance', 'Record when it was held and who attended', AttendanceBody, (c, o, i, b) =>
    exercises.attendance(c, o, i, b),
  );
  post('findings', 'Record a finding', FindingBody, (c, o, i, b) => exercises.finding(c, o, i, b), 201);
  post(
    'actions',
    'Add a follow-up action with an owner and a due date',
    NewActionBody,
    (c, o, i, b) => exercises.addAction(c, o, i, b),
    201,
  );
  post('close', 'Close a held exercise (its findings must be recorded)', CloseExerciseBody, (c, o, i, b) =>
    exercises.close(c, o, i, b.summary),
  );
  post('cancel', 'Cancel a scheduled exercise', CancelExerciseBody, (c, o, i, b) =>
    exercises.cancel(c, o, i, b.reason),
  );
}
