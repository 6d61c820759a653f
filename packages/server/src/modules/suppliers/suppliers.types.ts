import type { Criticality, SignoffFunction, SupplierKind } from '@accord/contracts';
import type { Question } from './questionnaire.ts';

/** A register entry as stored (dates as YYYY-MM-DD text, lists parsed). */
export interface SupplierRow {
  id: string;
  org_id: string;
  name: string;
  kind: SupplierKind;
  msp_org_id: string | null;
  services: string[];
  products: string[];
  privileged_access: boolean;
  access_description: string | null;
  data_categories: string[];
  contract_start: string | null;
  contract_end: string | null;
  criticality: Criticality;
  published: boolean;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
  retired_at: Date | null;
  retired_reason: string | null;
}

export interface RegisterRow {
  org_id: string;
  changed_at: Date;
  published_changed_at: Date | null;
  reviewed_at: Date | null;
  reviewed_by: string | null;
  reassessment_days: Partial<Record<Criticality, number>> | null;
}

export interface StoredEvidence {
  evidenceId?: string;
  url?: string;
  title: string | null;
}
export interface StoredAnswer {
  answer: 'yes' | 'partial' | 'no' | 'not_applicable';
  comment: string | null;
  evidence: StoredEvidence[];
  answeredBy: string;
  answeredAt: string;
}

export interface AssessmentRow {
  id: string;
  org_id: string;
  supplier_id: string;
  revision: number;
  status: 'draft' | 'submitted' | 'complete';
  catalog_version: string;
  questions: Question[];
  answers: Record<string, StoredAnswer>;
  inherent_likelihood: number | null;
  inherent_impact: number | null;
  residual_likelihood: number | null;
  residual_impact: number | null;
  rationale: string | null;
  created_by_user_id: string | null;
  created_by_label: string;
  created_at: Date;
  updated_at: Date;
  submitted_at: Date | null;
  completed_at: Date | null;
}

export interface TreatmentRow {
  id: string;
  org_id: string;
  assessment_id: string;
  supplier_id: string;
  type: 'accept' | 'mitigate' | 'transfer' | 'avoid';
  description: string;
  owner_user_id: string;
  owner_name: string;
  owner_email: string;
  due_date: string;
  status: 'open' | 'done' | 'cancelled';
  closed_at: Date | null;
  closed_note: string | null;
  created_at: Date;
}

export interface SignoffRow {
  assessment_id: string;
  revision: number;
  function: SignoffFunction;
  user_id: string;
  signed_by: string;
  comment: string | null;
  signed_at: Date;
}

/** JSON columns come back parsed from both drivers, but a text copy is tolerated. */
export const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
