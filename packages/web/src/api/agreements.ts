import { api } from './client.ts';
import type { AgreementVersion, Catalog } from './types.ts';

let catalogCache: Promise<Catalog> | null = null;
/** The catalog changes only with a release: read once per page load. */
export function loadCatalog(): Promise<Catalog> {
  catalogCache ??= api<Catalog>('/catalog').catch((e) => {
    catalogCache = null;
    throw e;
  });
  return catalogCache;
}

export const versionPath = (id: string, v: number) => `/agreements/${id}/versions/${v}`;
export const loadVersions = (id: string, signal?: AbortSignal) =>
  api<AgreementVersion[]>(`/agreements/${id}/versions`, { signal });

export const STATUS_TEXT: Record<string, string> = {
  draft: 'Draft',
  awaiting_acceptance: 'Awaiting both acceptances',
  awaiting_msp: 'Awaiting the MSP',
  awaiting_customer: 'Awaiting the customer',
  active: 'Active',
  active_amendment_pending: 'Active, amendment pending',
  ended: 'Ended',
};
