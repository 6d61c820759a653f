import type { Catalog, CatalogControl } from '@accord/contracts';
import { requirePermission } from '../../platform/authz.ts';
import { notFound } from '../../platform/errors.ts';
import type { RequestContext } from '../../platform/context.ts';

export type CatalogService = ReturnType<typeof createCatalogService>;

/** The loaded, validated catalog, indexed by control id. Read-only for the life of the process. */
export function createCatalogService(catalog: Catalog) {
  const byId = new Map(catalog.controls.map((c) => [c.id, c]));

  /** Internal lookup (no caller context): used by services that already authorised their caller. */
  const control = (id: string): CatalogControl | undefined => byId.get(id);

  function get(ctx: RequestContext): Catalog {
    requirePermission(ctx, 'catalog:read');
    return catalog;
  }

  function getControl(ctx: RequestContext, id: string): CatalogControl {
    requirePermission(ctx, 'catalog:read');
    const c = byId.get(id);
    if (!c) throw notFound('control', id);
    return c;
  }

  return { catalog, control, get, getControl, info: catalog.catalog };
}
