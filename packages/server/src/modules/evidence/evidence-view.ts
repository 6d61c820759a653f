import type { FileMeta, ItemRow, RevisionRow } from './evidence.repo.ts';
import { daysUntil } from './evidence-access.ts';

export type EvidenceStatus = 'current' | 'expired' | 'withdrawn' | 'not_yet_effective';

export interface RevisionView extends RevisionRow {
  file: FileMeta | null;
}
export interface EvidenceView {
  item: ItemRow;
  /** The latest revision as of `at`. */
  latest: RevisionView;
  status: EvidenceStatus;
  expired: boolean;
  expiresInDays: number | null;
  revisions: RevisionView[];
}

/** The status of a revision at `at`: expiry counts from its expiry date, not from its upload. */
export function statusAt(r: RevisionRow, at: Date): EvidenceStatus {
  if (r.withdrawn) return 'withdrawn';
  if (r.expires_at && ms(r.expires_at) <= at.getTime()) return 'expired';
  if (ms(r.effective_at) > at.getTime()) return 'not_yet_effective';
  return 'current';
}
const ms = (d: Date | string) => new Date(d).getTime();

/**
 * Assembles items with their revisions as of `at` (revisions recorded after `at` are ignored, so a
 * past `at` answers what was known then). Items with no revision by then are left out.
 */
export function assemble(
  items: ItemRow[],
  revisions: RevisionRow[],
  files: FileMeta[],
  at: Date,
): EvidenceView[] {
  const fileById = new Map(files.map((f) => [f.id, f]));
  const byItem = new Map<string, RevisionView[]>();
  for (const r of revisions) {
    if (ms(r.created_at) > at.getTime()) continue;
    const list = byItem.get(r.evidence_id) ?? [];
    list.push({ ...r, file: r.file_id ? (fileById.get(r.file_id) ?? null) : null });
    byItem.set(r.evidence_id, list);
  }
  const out: EvidenceView[] = [];
  for (const item of items) {
    const revs = (byItem.get(item.id) ?? []).sort((a, b) => a.revision - b.revision);
    const latest = revs[revs.length - 1];
    if (!latest) continue;
    const status = statusAt(latest, at);
    out.push({
      item,
      latest,
      status,
      expired: status === 'expired',
      expiresInDays: daysUntil(latest.expires_at && new Date(latest.expires_at), at),
      revisions: revs,
    });
  }
  return out;
}
