// Every read the MSP portfolio screen makes, and the one place that adapts the API's answers to
// the screen's model. The portfolio route's answer is due to become a compact matrix: only this
// file changes when it does.
import { api, mapLimit, qs } from './client.ts';
import type { Agreement, AlertPage, Coverage, Portfolio } from './types.ts';

export const CELL_STATES = ['met', 'partly', 'not_met', 'unknown'] as const;
export type CellState = (typeof CELL_STATES)[number];

export interface PortfolioCell {
  state: CellState;
  pass: number;
  total: number;
  controls: { controlId: string; status: string; changedAt: string | null }[];
}
export interface PortfolioRow {
  customerId: string;
  customerName: string;
  agreementId: string;
  title: string;
  met: number;
  total: number;
  failing: number;
  cells: Record<string, PortfolioCell>;
}
export interface PortfolioModel {
  groups: string[];
  rows: PortfolioRow[];
}

/** A group is met when all its controls pass, partly when some pass or are partial, not met
 * when none pass and at least one fails, unknown when nothing is known (unknown / error). */
export function cellState(statuses: string[]): CellState {
  const pass = statuses.filter((s) => s === 'pass').length;
  if (statuses.length > 0 && pass === statuses.length) return 'met';
  if (pass > 0 || statuses.includes('partial')) return 'partly';
  if (statuses.includes('fail')) return 'not_met';
  return 'unknown';
}

export function toModel(p: Portfolio): PortfolioModel {
  const groups = new Set<string>();
  const rows = p.agreements.map((a) => {
    const byGroup = new Map<string, PortfolioCell['controls']>();
    for (const c of a.controls) {
      const g = c.controlId.slice(0, 3);
      groups.add(g);
      const list = byGroup.get(g) ?? [];
      list.push(c);
      byGroup.set(g, list);
    }
    const cells: Record<string, PortfolioCell> = {};
    for (const [g, controls] of byGroup) {
      const statuses = controls.map((c) => c.status);
      cells[g] = {
        state: cellState(statuses),
        pass: statuses.filter((s) => s === 'pass').length,
        total: statuses.length,
        controls,
      };
    }
    const met = a.controls.filter((c) => c.status === 'pass').length;
    return {
      customerId: a.customer.id,
      customerName: a.customer.name,
      agreementId: a.agreementId,
      title: a.title,
      met,
      total: a.controls.length,
      failing: a.controls.filter((c) => c.status === 'fail').length,
      cells,
    };
  });
  return { groups: [...groups].sort(), rows };
}

export async function loadPortfolio(signal?: AbortSignal): Promise<PortfolioModel> {
  return toModel(await api<Portfolio>('/portfolio', { signal }));
}

/** Agreements waiting for someone: drafts, proposals awaiting either party, pending amendments. */
export async function loadWaitingAgreements(signal?: AbortSignal): Promise<Agreement[]> {
  const all = await api<Agreement[]>('/agreements', { signal });
  return all.filter((a) => a.status !== 'active' && a.status !== 'ended');
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'] as const;
export interface CustomerSignals {
  customerId: string;
  openAlerts: Record<string, number>;
  /** Days of logs held against the days the agreement requires; null when unreadable. */
  coverage: { daysHeld: number; requiredDays: number; silentSources: number; sources: number } | null;
}

/**
 * Open alerts by severity and log coverage, read per customer (today's API has no portfolio-wide
 * route for them), a few customers at a time and at most `cap` customers.
 */
export async function loadCustomerSignals(customerIds: string[], cap = 50, signal?: AbortSignal) {
  const ids = customerIds.slice(0, cap);
  const signals = await mapLimit(ids, 4, async (id): Promise<CustomerSignals> => {
    const openAlerts: Record<string, number> = {};
    try {
      const page = await api<AlertPage>(`/orgs/${id}/alerts${qs({ status: 'open', limit: 500 })}`, {
        signal,
      });
      for (const a of page.alerts) openAlerts[a.level] = (openAlerts[a.level] ?? 0) + 1;
    } catch {
      /* shown as no data for this customer */
    }
    let coverage: CustomerSignals['coverage'] = null;
    try {
      const c = await api<Coverage>(`/orgs/${id}/logs/coverage${qs({ days: 7 })}`, { signal });
      coverage = {
        daysHeld: c.tenant.daysHeld,
        requiredDays: c.tenant.requiredDays,
        silentSources: c.sources.filter((s) => s.silent).length,
        sources: c.sources.length,
      };
    } catch {
      /* idem */
    }
    return { customerId: id, openAlerts, coverage };
  });
  return { signals, truncated: customerIds.length > ids.length };
}
