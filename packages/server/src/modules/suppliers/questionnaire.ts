import type { Catalog, CatalogControl } from '@accord/contracts';

export interface Question {
  controlId: string;
  group: string;
  title: string;
  objective: string;
}

/**
 * Whether a catalog control belongs in the supplier questionnaire: every supply chain control (SCR),
 * every control the MSP owns, and every control about MSP accounts or access. For a supplier other
 * than the MSP, "the MSP" in a question reads as "this supplier" (docs/supply-chain.md).
 */
export function isSupplierQuestion(c: CatalogControl): boolean {
  return c.group === 'SCR' || c.default_owner === 'msp' || /\bMSP\b/.test(c.title);
}

/** The questionnaire of the loaded catalog, in catalog order, with the catalog version it comes from. */
export function questionnaireOf(catalog: Catalog): { catalogVersion: string; questions: Question[] } {
  return {
    catalogVersion: catalog.catalog.version,
    questions: catalog.controls.filter(isSupplierQuestion).map((c) => ({
      controlId: c.id,
      group: c.group,
      title: c.title,
      objective: c.objective.trim(),
    })),
  };
}
