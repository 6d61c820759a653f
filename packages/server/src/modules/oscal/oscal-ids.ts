import { createHash } from 'node:crypto';

/** Accord's namespace for its own OSCAL properties (`ns` of a prop). */
export const ACCORD_NS = 'urn:accord:oscal';

// A fixed namespace UUID for Accord's name-based identifiers (RFC 9562 section 5.5, version 5).
const NAMESPACE = Buffer.from('5a0f7d2c8b3e4e1a9c6d2f4b8e1a7c3d', 'hex');

/**
 * A deterministic UUID (version 5, SHA-1) for a named thing: the same agreement version, control
 * or result always gets the same UUID, so an export is reproducible byte for byte and a consumer
 * can track a subject across revisions, as OSCAL asks ("assigned per-subject").
 */
export function uuidFor(...parts: (string | number)[]): string {
  const h = createHash('sha1').update(NAMESPACE).update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Catalog control id `LOG-01` <-> OSCAL control id `log-01` (OSCAL ids are conventionally lower case). */
export const oscalControlId = (id: string) => id.toLowerCase();
export const accordControlId = (oscalId: string) => oscalId.toUpperCase();
export const oscalParamId = (controlId: string, name: string) => `${oscalControlId(controlId)}_prm_${name}`;
export const objectiveId = (controlId: string) => `${oscalControlId(controlId)}_obj`;
