import { describe, expect, it } from 'vitest';
import { loadCatalog, DEFAULT_CATALOG_FILE } from '../catalog/catalog.loader.ts';
import { bandOf, riskOf, treatmentLate } from './risk.ts';
import { isSupplierQuestion, questionnaireOf } from './questionnaire.ts';
import { entryKeys, nameKey, toolRegistered } from './tool-vendors.ts';
import { rank, type SupplierState } from './register-state.ts';
import type { AssessmentRow, SupplierRow, TreatmentRow } from './suppliers.types.ts';

describe('the 5x5 risk matrix', () => {
  it('scores likelihood x impact and bands the score: 1-4 low, 5-9 medium, 10-16 high, 20-25 critical', () => {
    const table = [1, 2, 3, 4, 5].map((l) => [1, 2, 3, 4, 5].map((i) => riskOf(l, i)!.band[0]).join(''));
    expect(table).toEqual(['llllm', 'llmmh', 'lmmhh', 'lmhhc', 'mhhcc']);
    expect(riskOf(4, 5)).toEqual({ likelihood: 4, impact: 5, score: 20, band: 'critical' });
    expect(riskOf(null, 3)).toBeNull();
    expect(bandOf(9)).toBe('medium');
    expect(bandOf(10)).toBe('high');
  });

  it('refuses a score outside the matrix', () => {
    expect(() => riskOf(6, 1)).toThrow('likelihood is 1 to 5 on the 5x5 matrix, not 6');
    expect(() => riskOf(1, 0)).toThrow('impact is 1 to 5 on the 5x5 matrix, not 0');
    expect(() => riskOf(2.5, 1)).toThrow(/likelihood/);
    expect(() => bandOf(26)).toThrow(/1 to 25/);
  });

  it('calls a treatment late when open past its due day, or done after it; cancelled is not late', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    const t = (status: string, due: string, closed: string | null = null) =>
      treatmentLate({ status, due_date: due, closed_at: closed ? new Date(closed) : null }, now);
    expect(t('open', '2026-03-10')).toBe(false); // due today
    expect(t('open', '2026-03-09')).toBe(true);
    expect(t('done', '2026-03-01', '2026-03-01T23:00:00Z')).toBe(false);
    expect(t('done', '2026-03-01', '2026-03-02T00:30:00Z')).toBe(true);
    expect(t('cancelled', '2026-01-01', '2026-03-01T00:00:00Z')).toBe(false);
  });
});

describe('the supplier questionnaire', () => {
  const catalog = loadCatalog(DEFAULT_CATALOG_FILE);
  it('holds every supply chain control, every MSP-owned one and every one about MSP accounts or access', () => {
    const q = questionnaireOf(catalog);
    const ids = q.questions.map((x) => x.controlId);
    expect(ids.filter((i) => i.startsWith('SCR-'))).toEqual(['SCR-01', 'SCR-02', 'SCR-03', 'SCR-04']);
    for (const c of catalog.controls) expect(ids.includes(c.id), c.id).toBe(isSupplierQuestion(c));
    expect(ids).toEqual(expect.arrayContaining(['LOG-04', 'UPD-04', 'BCK-04', 'MFA-01', 'NET-02', 'AUT-03']));
    expect(ids).not.toContain('BCK-01');
    expect(q.catalogVersion).toBe(catalog.catalog.version);
  });
});

describe('remote-access tools against the register', () => {
  const keys = (...entries: [string, string[]][]) =>
    new Set(entries.flatMap(([name, products]) => [...entryKeys({ name, products })]));
  it('matches a tool by product, by vendor, and by the vendor’s longer legal name', () => {
    expect(nameKey('ConnectWise, LLC')).toBe('connectwise');
    expect(toolRegistered('ScreenConnect', keys(['ConnectWise, LLC', []]))).toBe(true);
    expect(toolRegistered('ScreenConnect', keys(['Acme RMM', ['ConnectWise Control']]))).toBe(true);
    expect(toolRegistered('AnyDesk', keys(['AnyDesk Software GmbH', []]))).toBe(true);
    expect(toolRegistered('Quick Assist', keys(['Microsoft Corporation', ['Microsoft 365']]))).toBe(true);
    expect(toolRegistered('TeamViewer', keys(['AnyDesk Software GmbH', []]))).toBe(false);
    expect(toolRegistered('Homegrown Remote', keys(['Homegrown', []]))).toBe(false);
    expect(toolRegistered('Homegrown Remote', keys(['Tools Inc', ['Homegrown Remote']]))).toBe(true);
  });
});

describe('the ranked view', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const supplier = (name: string, criticality: SupplierRow['criticality']) =>
    ({ id: name, name, criticality }) as SupplierRow;
  const assessment = (residual: [number, number] | null, inherent: [number, number] = [5, 5]) =>
    ({
      inherent_likelihood: inherent[0],
      inherent_impact: inherent[1],
      residual_likelihood: residual?.[0] ?? null,
      residual_impact: residual?.[1] ?? null,
    }) as AssessmentRow;
  const state = (
    name: string,
    criticality: SupplierRow['criticality'],
    o: Partial<SupplierState> = {},
  ): SupplierState => ({
    supplier: supplier(name, criticality),
    lastComplete: null,
    inProgress: null,
    dueAt: null,
    state: 'never',
    treatments: [],
    ...o,
  });
  const open = (due: string) => ({ status: 'open', due_date: due, closed_at: null }) as TreatmentRow;

  it('orders by residual score x criticality, then criticality, state, late and open treatments, name', () => {
    const ranked = rank(
      [
        state('low-assessed', 'low', { lastComplete: assessment([3, 3]), state: 'current' }), // 9
        state('critical-assessed', 'critical', { lastComplete: assessment([2, 2]), state: 'current' }), // 16
        state('medium-unassessed', 'medium'), // 50
        state('high-in-progress', 'high', { inProgress: assessment(null, [3, 4]) }), // 36
        state('medium-overdue', 'medium', { lastComplete: assessment([2, 2]), state: 'overdue' }), // 8
        state('medium-current', 'medium', { lastComplete: assessment([2, 2]), state: 'current' }), // 8
        state('medium-late', 'medium', {
          lastComplete: assessment([2, 2]),
          state: 'current',
          treatments: [open('2026-05-01')],
        }), // 8, one late treatment
        state('b-tie', 'high', { lastComplete: assessment([1, 4]), state: 'current' }), // 12
        state('a-tie', 'high', { lastComplete: assessment([2, 2]), state: 'current' }), // 12
      ],
      now,
    );
    expect(ranked.map((r) => [r.rank, r.state.supplier.name, r.priority])).toEqual([
      [1, 'medium-unassessed', 50],
      [2, 'high-in-progress', 36],
      [3, 'critical-assessed', 16],
      [4, 'a-tie', 12],
      [5, 'b-tie', 12],
      [6, 'low-assessed', 9],
      [7, 'medium-overdue', 8],
      [8, 'medium-late', 8],
      [9, 'medium-current', 8],
    ]);
    expect(ranked.find((r) => r.state.supplier.name === 'medium-late')!.lateTreatments).toBe(1);
    expect(ranked[1]!.basis).toBe('assessment_in_progress');
    expect(ranked[0]!.basis).toBe('unassessed');
  });
});
