import type { OrgKind, Permission, Role } from '@accord/contracts';
import { PERMISSIONS } from '@accord/contracts';
import { randomUUID } from 'node:crypto';

export interface Actor {
  kind: 'user' | 'token' | 'system';
  userId: string | null;
  tokenId: string | null;
  /** What the audit trail shows: an e-mail, a token name, or "system (cli)". */
  label: string;
}

/** Passed first to every service method: who acts, for which organisation, with what rights. */
export interface RequestContext {
  requestId: string;
  actor: Actor;
  /** The organisation the actor acts as (null only for the system actor). */
  orgId: string | null;
  orgKind: OrgKind | null;
  role: Role | null;
  permissions: ReadonlySet<Permission>;
  ip: string | null;
}

/** The CLI and the demo seeder act as the system: all permissions, recorded as such in the audit trail. */
export function systemContext(label = 'system (cli)'): RequestContext {
  return {
    requestId: randomUUID(),
    actor: { kind: 'system', userId: null, tokenId: null, label },
    orgId: null,
    orgKind: null,
    role: null,
    permissions: new Set(PERMISSIONS),
    ip: null,
  };
}
