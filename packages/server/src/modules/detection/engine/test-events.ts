import type { EngineEvent, TenantContext } from './types.ts';

/** Building events for tests and benchmarks: every field null or neutral unless given. */
let seq = 0;
export function ev(over: Partial<EngineEvent> & { time: string }): EngineEvent {
  return {
    orgId: 'o',
    sourceId: 'src-1',
    batchId: 'b-1',
    batchPos: seq++,
    class: 'authentication',
    activity: 'logon',
    outcome: 'success',
    reason: null,
    user: null,
    userDomain: null,
    targetUser: null,
    group: null,
    srcIp: null,
    geo: null,
    dstHost: null,
    app: null,
    authProtocol: null,
    mfaUsed: null,
    processName: null,
    commandLine: null,
    vendorEventId: null,
    isMsp: false,
    ...over,
  };
}

export const fail = (time: string, user: string, srcIp: string, reason = 'bad_password'): EngineEvent =>
  ev({ time, user, srcIp, outcome: 'failure', reason });
export const ok = (time: string, user: string, srcIp: string, over: Partial<EngineEvent> = {}): EngineEvent =>
  ev({ time, user, srcIp, ...over });

/** ISO time `minutes` after a base instant. */
export const at = (minutes: number, base = '2024-03-04T08:00:00.000Z'): string =>
  new Date(Date.parse(base) + Math.round(minutes * 60_000)).toISOString();

export const noCtx: TenantContext = { approvedRemoteTools: [], mspNetworks: [], maintenanceWindows: [] };
