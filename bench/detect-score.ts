/**
 * Scores a tool's flagged addresses against the generated log's truth (`bench/detect-data.ts`):
 * attackers found per kind (addresses, and campaigns with at least one address found) and benign
 * addresses flagged per role.
 */
import { ATTACK_KINDS, BENIGN_ROLES, type AttackKind, type BenignRole, type Truth } from './detect-data.ts';

export interface KindScore {
  found: number;
  total: number;
  campaignsFound: number;
  campaigns: number;
  missed: string[];
}
export interface Score {
  byKind: Record<AttackKind, KindScore>;
  attackersFound: number;
  attackers: number;
  benignFlagged: number;
  benign: number;
  benignByRole: Partial<Record<BenignRole, number>>;
  /** Benign addresses flagged, with what flagged them (at most 20 listed). */
  benignExamples: { ip: string; role: BenignRole; by: string[] }[];
  /** Flagged addresses the truth does not know (should be none). */
  unknown: string[];
  allFound: boolean;
}

export function score(truth: Truth, flagged: Record<string, string[]>): Score {
  const byKind = {} as Record<AttackKind, KindScore>;
  for (const k of ATTACK_KINDS)
    byKind[k] = { found: 0, total: 0, campaignsFound: 0, campaigns: 0, missed: [] };
  const campaigns = new Map<string, { kind: AttackKind; found: boolean }>();
  for (const [ip, a] of Object.entries(truth.attackers)) {
    const s = byKind[a.kind];
    s.total++;
    const c = campaigns.get(a.campaign) ?? { kind: a.kind, found: false };
    campaigns.set(a.campaign, c);
    if (flagged[ip]) {
      s.found++;
      c.found = true;
    } else s.missed.push(ip);
  }
  for (const c of campaigns.values()) {
    byKind[c.kind].campaigns++;
    if (c.found) byKind[c.kind].campaignsFound++;
  }
  const benignByRole: Partial<Record<BenignRole, number>> = {};
  const benignExamples: Score['benignExamples'] = [];
  let benignFlagged = 0;
  const unknown: string[] = [];
  for (const [ip, by] of Object.entries(flagged)) {
    const b = truth.benign[ip];
    if (b) {
      benignFlagged++;
      benignByRole[b.role] = (benignByRole[b.role] ?? 0) + 1;
      if (benignExamples.length < 20) benignExamples.push({ ip, role: b.role, by });
    } else if (!truth.attackers[ip]) unknown.push(ip);
  }
  const attackers = Object.keys(truth.attackers).length;
  const attackersFound = ATTACK_KINDS.reduce((n, k) => n + byKind[k].found, 0);
  return {
    byKind,
    attackersFound,
    attackers,
    benignFlagged,
    benign: Object.keys(truth.benign).length,
    benignByRole,
    benignExamples,
    unknown,
    allFound: attackersFound === attackers,
  };
}

export const KIND_LABEL: Record<AttackKind, string> = {
  brute_force: 'brute force',
  fast_spray: 'fast spray',
  slow_spray: 'slow spray',
  distributed_spray: 'distributed spray',
  success_after_failures: 'success after failures',
};

export const ROLE_LABEL: Record<BenignRole, string> = {
  user: 'remote user',
  mistyper: 'mistyping user',
  office_nat: 'office NAT',
  scanner: 'scanner (connects only)',
  automation: 'automation host',
};

export { BENIGN_ROLES };
