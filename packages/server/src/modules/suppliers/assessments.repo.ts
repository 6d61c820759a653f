import { sql } from 'kysely';
import type { Executor } from '../../platform/db/db.ts';
import type { Question } from './questionnaire.ts';
import {
  json,
  type AssessmentRow,
  type SignoffRow,
  type StoredAnswer,
  type TreatmentRow,
} from './suppliers.types.ts';

type Raw = Omit<AssessmentRow, 'questions' | 'answers'> & { questions: unknown; answers: unknown };
const parse = (r: Raw): AssessmentRow => ({
  ...r,
  questions: json<Question[]>(r.questions),
  answers: json<Record<string, StoredAnswer>>(r.answers),
});

/** The fields an update of a draft may change. */
export interface AssessmentPatch {
  answers?: Record<string, StoredAnswer>;
  inherent_likelihood?: number;
  inherent_impact?: number;
  residual_likelihood?: number;
  residual_impact?: number;
  rationale?: string | null;
  status?: AssessmentRow['status'];
  revision?: number;
  submitted_at?: Date | null;
  completed_at?: Date | null;
}

const TREATMENT_COLS = [
  't.id',
  't.org_id',
  't.assessment_id',
  't.supplier_id',
  't.type',
  't.description',
  't.owner_user_id',
  'u.name as owner_name',
  'u.email as owner_email',
  't.status',
  't.closed_at',
  't.closed_note',
  't.created_at',
] as const;

/**
 * Assessments, their treatments and sign-offs. Every method takes the owning organisation first and
 * filters by it.
 */
export const assessmentsRepo = {
  async list(db: Executor, orgId: string, supplierIds?: string[]): Promise<AssessmentRow[]> {
    if (supplierIds && supplierIds.length === 0) return [];
    let q = db.selectFrom('supplier_assessments').selectAll().where('org_id', '=', orgId);
    if (supplierIds) q = q.where('supplier_id', 'in', supplierIds);
    return ((await q.orderBy('created_at').orderBy('id').execute()) as Raw[]).map(parse);
  },
  async get(db: Executor, orgId: string, id: string, lock = false): Promise<AssessmentRow | undefined> {
    let q = db
      .selectFrom('supplier_assessments')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id);
    if (lock) q = q.forUpdate();
    const r = (await q.executeTakeFirst()) as Raw | undefined;
    return r && parse(r);
  },
  async openFor(db: Executor, orgId: string, supplierId: string) {
    return db
      .selectFrom('supplier_assessments')
      .select(['id', 'status'])
      .where('org_id', '=', orgId)
      .where('supplier_id', '=', supplierId)
      .where('status', '<>', 'complete')
      .executeTakeFirst();
  },
  async insert(
    db: Executor,
    orgId: string,
    a: {
      id: string;
      supplier_id: string;
      catalog_version: string;
      questions: Question[];
      created_by_user_id: string | null;
      created_by_label: string;
      at: Date;
    },
  ): Promise<void> {
    const { at, questions, ...rest } = a;
    await db
      .insertInto('supplier_assessments')
      .values({
        ...rest,
        org_id: orgId,
        status: 'draft',
        revision: 1,
        questions: JSON.stringify(questions),
        answers: '{}',
        created_at: at,
        updated_at: at,
      })
      .execute();
  },
  async update(db: Executor, orgId: string, id: string, p: AssessmentPatch, at: Date): Promise<void> {
    const { answers, ...rest } = p;
    await db
      .updateTable('supplier_assessments')
      .set({ ...rest, ...(answers ? { answers: JSON.stringify(answers) } : {}), updated_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },

  /** Treatments of the given assessments (every assessment of the organisation when omitted). */
  async treatments(db: Executor, orgId: string, assessmentIds?: string[]): Promise<TreatmentRow[]> {
    if (assessmentIds && assessmentIds.length === 0) return [];
    let q = db
      .selectFrom('supplier_treatments as t')
      .innerJoin('users as u', 'u.id', 't.owner_user_id')
      .select([...TREATMENT_COLS, sql<string>`to_char(t.due_date, 'YYYY-MM-DD')`.as('due_date')])
      .where('t.org_id', '=', orgId);
    if (assessmentIds) q = q.where('t.assessment_id', 'in', assessmentIds);
    return q.orderBy('t.due_date').orderBy('t.created_at').orderBy('t.id').execute() as Promise<
      TreatmentRow[]
    >;
  },
  async treatment(db: Executor, orgId: string, assessmentId: string, id: string, lock = false) {
    let q = db
      .selectFrom('supplier_treatments as t')
      .innerJoin('users as u', 'u.id', 't.owner_user_id')
      .select([...TREATMENT_COLS, sql<string>`to_char(t.due_date, 'YYYY-MM-DD')`.as('due_date')])
      .where('t.org_id', '=', orgId)
      .where('t.assessment_id', '=', assessmentId)
      .where('t.id', '=', id);
    if (lock) q = q.forUpdate('t');
    return q.executeTakeFirst() as Promise<TreatmentRow | undefined>;
  },
  async insertTreatment(
    db: Executor,
    orgId: string,
    t: {
      id: string;
      assessment_id: string;
      supplier_id: string;
      type: TreatmentRow['type'];
      description: string;
      owner_user_id: string;
      due_date: string;
      created_by_label: string;
      created_at: Date;
    },
  ): Promise<void> {
    await db
      .insertInto('supplier_treatments')
      .values({ ...t, org_id: orgId })
      .execute();
  },
  async closeTreatment(
    db: Executor,
    orgId: string,
    id: string,
    c: { status: 'done' | 'cancelled'; note: string; by: string; at: Date },
  ): Promise<void> {
    await db
      .updateTable('supplier_treatments')
      .set({ status: c.status, closed_note: c.note, closed_by_label: c.by, closed_at: c.at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .execute();
  },

  async signoffs(db: Executor, orgId: string, assessmentIds: string[]): Promise<SignoffRow[]> {
    if (assessmentIds.length === 0) return [];
    return db
      .selectFrom('supplier_signoffs')
      .select(['assessment_id', 'revision', 'function', 'user_id', 'signed_by', 'comment', 'signed_at'])
      .where('org_id', '=', orgId)
      .where('assessment_id', 'in', assessmentIds)
      .orderBy('signed_at')
      .execute();
  },
  async insertSignoff(db: Executor, orgId: string, s: SignoffRow): Promise<void> {
    await db
      .insertInto('supplier_signoffs')
      .values({ ...s, org_id: orgId })
      .execute();
  },
};
