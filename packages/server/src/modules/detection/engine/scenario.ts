import type { EngineEvent } from './types.ts';
import { compareEvents } from './evaluator.ts';

/** A seeded generator of a busy tenant's day: normal sign-ins and a mix of attacks (distributed sprays too). */
export function generateScenario(n: number, seed = 42, orgIds = ['org-a', 'org-b']): EngineEvent[] {
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const base = Date.parse('2024-05-01T00:00:00.000Z');
  const span = 2 * 86_400_000;
  const places = [
    { city: 'Amsterdam', lat: 52.37, lon: 4.9 },
    { city: 'London', lat: 51.5, lon: -0.12 },
    { city: 'Sydney', lat: -33.87, lon: 151.21 },
    { city: 'New York', lat: 40.71, lon: -74.0 },
  ];
  const out: EngineEvent[] = [];
  let pos = 0;
  const push = (t: number, over: Partial<EngineEvent>): void => {
    out.push({
      orgId: pick(orgIds),
      sourceId: 's1',
      batchId: '',
      batchPos: 0,
      time: new Date(Math.floor(t)).toISOString(),
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
      dstHost: 'host1',
      app: 'sshd',
      authProtocol: 'password',
      mfaUsed: null,
      processName: 'sshd',
      commandLine: null,
      vendorEventId: 'sshd',
      isMsp: false,
      ...over,
    });
  };
  while (out.length < n) {
    const t = base + rnd() * span;
    const r = rnd();
    if (r < 0.6) {
      push(t, {
        user: `user${Math.floor(rnd() * 300)}`,
        srcIp: `10.0.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 50)}`,
      });
    } else if (r < 0.8) {
      push(t, {
        user: `user${Math.floor(rnd() * 300)}`,
        srcIp: `10.0.0.${Math.floor(rnd() * 50)}`,
        outcome: 'failure',
        reason: 'bad_password',
      });
    } else if (r < 0.83) {
      // brute force burst against root from one or many sources, maybe then a success
      const ip = `203.0.113.${Math.floor(rnd() * 20)}`;
      const k = 5 + Math.floor(rnd() * 30);
      for (let i = 0; i < k; i++)
        push(t + i * 7000, {
          user: 'root',
          srcIp: rnd() < 0.5 ? ip : `198.51.100.${i}`,
          outcome: 'failure',
          reason: 'bad_password',
        });
      if (rnd() < 0.3) push(t + k * 7000 + 1000, { user: 'root', srcIp: ip });
    } else if (r < 0.85) {
      const ip = `192.0.2.${Math.floor(rnd() * 30)}`;
      const k = 5 + Math.floor(rnd() * 20);
      for (let i = 0; i < k; i++)
        push(t + i * rnd() * 120_000, {
          user: `victim${Math.floor(rnd() * 60)}`,
          srcIp: ip,
          outcome: 'failure',
          reason: 'unknown_user',
        });
    } else if (r < 0.86) {
      const u = `user${Math.floor(rnd() * 300)}@example.com`;
      for (let i = 0; i < 3 + Math.floor(rnd() * 6); i++)
        push(t + i * 60_000, { user: u, activity: 'mfa_verify', outcome: 'failure', reason: 'mfa_denied' });
      if (rnd() < 0.5) push(t + 600_000, { user: u, activity: 'mfa_verify', mfaUsed: true });
    } else if (r < 0.9) {
      const u = `traveller${Math.floor(rnd() * 20)}`;
      push(t, { user: u, activity: 'sign_in', geo: pick(places), srcIp: '100.64.0.1' });
    } else if (r < 0.92) {
      push(t, {
        class: 'process',
        activity: 'process_created',
        outcome: 'success',
        processName: pick(['C:\\a\\AnyDesk.exe', 'C:\\w\\cmd.exe', 'TeamViewer_Service.exe']),
        dstHost: `pc${Math.floor(rnd() * 5)}`,
        app: null,
      });
    } else if (r < 0.93) {
      const acct = `new${Math.floor(rnd() * 1000)}`;
      push(t, {
        class: 'account_change',
        activity: 'user_created',
        user: 'admin',
        targetUser: acct,
        app: null,
      });
      push(t + rnd() * 3_600_000, { user: acct, srcIp: '10.9.9.9' });
    } else {
      push(t, { class: 'other', activity: 'connection_closed', outcome: 'unknown', srcIp: '10.1.1.1' });
    }
  }
  // Two distributed sprays per tenant: 30 sources, two or three accounts each, within 50 minutes.
  for (const orgId of orgIds) {
    for (let c = 0; c < 2; c++) {
      const from = base + (0.2 + c * 0.5 + rnd() * 0.2) * span;
      for (let s = 0; s < 30; s++) {
        for (let k = 0; k < 2 + (s % 2); k++) {
          push(from + rnd() * 3_000_000, {
            orgId,
            user: `staff${Math.floor(rnd() * 5000)}`,
            srcIp: `198.18.${c}.${s + 1}`,
            outcome: 'failure',
            reason: 'bad_password',
          });
        }
      }
    }
  }
  out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  for (const e of out) {
    e.batchId = `batch-${String(Math.floor(pos / 500)).padStart(6, '0')}`;
    e.batchPos = pos++ % 500;
  }
  return out.sort(compareEvents);
}
