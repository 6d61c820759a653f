import { describe, expect, it } from 'vitest';
import { compileBuiltinRules } from './builtin.ts';
import { createEngine } from './evaluator.ts';
import { at, ev, fail, noCtx, ok } from './test-events.ts';
import type { Detection, EngineEvent, TenantContext } from './types.ts';

const rules = compileBuiltinRules();
const run = (events: EngineEvent[], ctx: TenantContext = noCtx): Detection[] =>
  createEngine(rules).process('o', events, ctx);
const fired = (events: EngineEvent[], ctx?: TenantContext): string[] =>
  [...new Set(run(events, ctx).map((d) => d.ruleId))].sort();
const of = (ds: Detection[], id: string) => ds.filter((d) => d.ruleId === id);

describe('built-in rules', () => {
  it('compile without problems', () => {
    expect(rules.length).toBeGreaterThanOrEqual(20);
  });

  describe('brute force against one account', () => {
    it('fires on 12 failures for one account from rotating sources within 5 minutes', () => {
      const events = Array.from({ length: 12 }, (_, i) => fail(at(i * 0.3), 'root', `198.51.100.${i}`));
      const d = of(run(events), 'accord-brute-force');
      expect(d).toHaveLength(1);
      expect(d[0]).toMatchObject({ groupValues: { user: 'root' }, eventCount: 12, level: 'high' });
      expect(d[0]!.summary).toBe('12 failed sign-ins for root in 3 min');
      expect(d[0]!.evidence).toHaveLength(12);
    });
    it('stays silent on one user mistyping a password five times, then signing in', () => {
      const events = [
        ...Array.from({ length: 5 }, (_, i) => fail(at(i), 'alice', '192.0.2.10')),
        ok(at(6), 'alice', '192.0.2.10'),
      ];
      expect(fired(events)).toEqual([]);
    });
    it('counts a line standing for several attempts (syslog `message repeated N times`) that many times', () => {
      const rep = (m: number, n: number) => ({ ...fail(at(m), 'root', '203.0.113.9'), occurrences: n });
      const events = [rep(0, 1), rep(0.1, 5), rep(0.5, 1), rep(0.6, 4)]; // 11 attempts, 4 lines
      const d = of(run(events), 'accord-brute-force');
      expect(d).toHaveLength(1);
      expect(d[0]).toMatchObject({ eventCount: 11 });
      expect(d[0]!.evidence.map((r) => r.batchPos)).toEqual(events.map((e) => e.batchPos));
      // and a success right after such a burst is the critical case
      const after = [...events, ok(at(1), 'root', '203.0.113.9')];
      expect(fired(after)).toContain('accord-success-after-burst');
      expect(fired(events.map((e) => ({ ...e, occurrences: 1 })))).toEqual([]);
    });
    it('counts one sshd attempt once (the PAM and invalid-user lines are echoes)', () => {
      const events = Array.from({ length: 6 }, (_, i) => [
        fail(at(i * 0.2), 'root', '203.0.113.9'),
        ev({
          time: at(i * 0.2),
          user: 'root',
          srcIp: '203.0.113.9',
          app: 'sshd',
          outcome: 'failure',
          reason: 'bad_password',
          activity: 'pam_authenticate',
        }),
      ]).flat();
      expect(fired(events)).toEqual([]);
    });
  });

  describe('password spraying', () => {
    it('fast: 12 accounts from one source in 10 minutes', () => {
      const events = Array.from({ length: 12 }, (_, i) =>
        fail(at(i * 0.5), `user${i}`, '203.0.113.7', 'unknown_user'),
      );
      const d = of(run(events), 'accord-spray-fast');
      expect(d).toHaveLength(1);
      expect(d[0]).toMatchObject({ groupValues: { srcIp: '203.0.113.7' }, eventCount: 12 });
      expect(d[0]!.summary).toMatch(/^12 accounts tried from 203\.0\.113\.7/);
    });
    it('low and slow: 16 accounts over a day, two tries each, never 10 in 10 minutes', () => {
      const events = Array.from({ length: 16 }, (_, i) => [
        fail(at(i * 80), `staff${i}`, '203.0.113.50'),
        fail(at(i * 80 + 1), `staff${i}`, '203.0.113.50'),
      ]).flat();
      expect(fired(events)).toEqual(['accord-spray-slow']);
    });
    it('low and slow does not count accounts hammered more than 3 times', () => {
      const events = Array.from({ length: 16 }, (_, i) =>
        [0, 1, 2, 3].map((k) => fail(at(i * 80 + k * 0.1), `staff${i}`, '203.0.113.51')),
      ).flat();
      expect(fired(events)).not.toContain('accord-spray-slow');
    });
    it('low and slow: an office NAT whose users mistype over a day is not spraying; a sprayer that guesses one password is', () => {
      const nat = Array.from({ length: 40 }, (_, i) => [
        fail(at(i * 30), `emp${i}`, '192.0.2.1'),
        ok(at(i * 30 + 0.2), `emp${i}`, '192.0.2.1'),
      ]).flat();
      expect(fired(nat)).toEqual([]);
      // the same failures without the users then signing in are 40 accounts tried from one address
      expect(fired(nat.filter((e) => e.outcome === 'failure'))).toContain('accord-spray-slow');
      const spray = Array.from({ length: 16 }, (_, i) => fail(at(i * 80), `staff${i}`, '203.0.113.50'));
      const guessed = [...spray, ok(at(3 * 80 + 1), 'staff3', '203.0.113.50')];
      const d = of(run(guessed), 'accord-spray-slow');
      expect(d).toHaveLength(1);
      expect(d[0]!.summary).toMatch(/^15 accounts tried at most 3 times each from 203\.0\.113\.50/);
    });
    it('a shared NAT address with normal users succeeding (and two typos) is not spraying', () => {
      const events: EngineEvent[] = [];
      for (let i = 0; i < 40; i++) events.push(ok(at(i * 0.2), `emp${i}`, '192.0.2.1'));
      events.push(fail(at(1), 'emp3', '192.0.2.1'), fail(at(2), 'emp9', '192.0.2.1'));
      expect(fired(events)).toEqual([]);
    });
    it('distributed: 25 accounts from 12 sources within an hour (more in spray-distributed.test.ts)', () => {
      const events = Array.from({ length: 25 }, (_, i) => fail(at(i * 2), `acct${i}`, `198.18.${i % 12}.1`));
      const d = of(run(events), 'accord-spray-distributed');
      expect(d).toHaveLength(1);
      expect(d[0]!.groupValues).toEqual({});
      expect(d[0]!.evidence).toHaveLength(12); // one event per source
      // the same from two sources is single-source spraying, not distributed
      const two = Array.from({ length: 25 }, (_, i) => fail(at(i * 2), `acct${i}`, `198.18.${i % 2}.1`));
      expect(fired(two)).not.toContain('accord-spray-distributed');
    });
  });

  describe('success right after a failure burst from the same source', () => {
    it('is critical', () => {
      const events = [
        ...Array.from({ length: 10 }, (_, i) => fail(at(i * 0.2), 'root', '203.0.113.9')),
        ok(at(3), 'root', '203.0.113.9'),
      ];
      const d = of(run(events), 'accord-success-after-burst');
      expect(d).toHaveLength(1);
      expect(d[0]).toMatchObject({ level: 'critical', groupValues: { srcIp: '203.0.113.9' } });
      expect(d[0]!.evidence.at(-1)!.batchPos).toBe(events.at(-1)!.batchPos);
    });
    it('not when the success comes from another address, or long after', () => {
      const burst = Array.from({ length: 10 }, (_, i) => fail(at(i * 0.2), 'root', '203.0.113.9'));
      expect(fired([...burst, ok(at(3), 'root', '192.0.2.44')])).not.toContain('accord-success-after-burst');
      expect(fired([...burst, ok(at(60), 'root', '203.0.113.9')])).not.toContain(
        'accord-success-after-burst',
      );
    });
  });

  describe('MFA fatigue', () => {
    const denials = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        ev({
          time: at(i),
          user: 'bob@example.com',
          activity: 'mfa_verify',
          outcome: 'failure',
          reason: i % 2 ? 'mfa_denied' : 'mfa_timeout',
        }),
      );
    it('fires on 6 denied pushes, and critical when one is then approved', () => {
      const events = [
        ...denials(6),
        ev({ time: at(7), user: 'bob@example.com', activity: 'mfa_verify', mfaUsed: true }),
      ];
      expect(fired(events)).toEqual(['accord-mfa-fatigue', 'accord-mfa-fatigue-approved']);
    });
    it('stays silent on two denials', () => {
      expect(
        fired([...denials(2), ev({ time: at(3), user: 'bob@example.com', activity: 'mfa_verify' })]),
      ).toEqual([]);
    });
  });

  describe('impossible travel', () => {
    const signIn = (time: string, lat: number, lon: number, city: string) =>
      ok(time, 'carol@example.com', '192.0.2.5', { activity: 'sign_in', geo: { city, lat, lon } });
    it('fires on Amsterdam then Sydney 40 minutes apart', () => {
      const d = of(
        run([signIn(at(0), 52.37, 4.9, 'Amsterdam'), signIn(at(40), -33.87, 151.21, 'Sydney')]),
        'accord-impossible-travel',
      );
      expect(d).toHaveLength(1);
      expect(d[0]!.summary).toMatch(/Amsterdam to Sydney: 16\d{3} km in 40 min/);
      expect(d[0]!.eventCount).toBe(2);
    });
    it('stays silent for a traveller: Amsterdam then London 5 hours later', () => {
      expect(fired([signIn(at(0), 52.37, 4.9, 'Amsterdam'), signIn(at(300), 51.5, -0.12, 'London')])).toEqual(
        [],
      );
    });
  });

  describe('remote-access tools', () => {
    const anydesk = ev({
      time: at(0),
      class: 'process',
      activity: 'process_created',
      processName: 'C:\\Users\\x\\Downloads\\AnyDesk.exe',
      dstHost: 'PC-7',
    });
    it('fires on an unapproved tool and names it', () => {
      const d = of(run([anydesk]), 'accord-unapproved-remote-tool');
      expect(d[0]!.groupValues).toEqual({ remoteTool: 'anydesk', dstHost: 'PC-7' });
    });
    it('stays silent when the agreement approves it, or for ordinary processes', () => {
      expect(fired([anydesk], { ...noCtx, approvedRemoteTools: ['anydesk'] })).toEqual([]);
      expect(fired([{ ...anydesk, processName: 'C:\\Windows\\notepad.exe' }])).toEqual([]);
    });
    it('knows aliases: approving "connectwise control" approves ScreenConnect', () => {
      const sc = {
        ...anydesk,
        processName: 'C:\\Program Files (x86)\\ScreenConnect Client\\ScreenConnect.ClientService.exe',
      };
      expect(fired([sc])).toEqual(['accord-unapproved-remote-tool']);
      expect(fired([sc], { ...noCtx, approvedRemoteTools: ['connectwise control'] })).toEqual([]);
    });
  });

  describe('MSP accounts', () => {
    const ctx: TenantContext = {
      approvedRemoteTools: [],
      mspNetworks: ['198.51.100.0/24'],
      maintenanceWindows: [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', tz: 'Europe/Amsterdam' }],
    };
    // 2024-03-04 is a Monday; 08:00Z is 09:00 in Amsterdam.
    const msp = (time: string, srcIp: string, mfaUsed: boolean | null = true) =>
      ok(time, 'msp-tech', srcIp, { isMsp: true, mfaUsed });
    it('inside the window, from the agreed network, with MFA: silent', () => {
      expect(fired([msp(at(0), '198.51.100.20')], ctx)).toEqual([]);
    });
    it('outside the window (Sunday night), from elsewhere, without MFA', () => {
      expect(fired([msp('2024-03-03T23:30:00.000Z', '198.51.100.20')], ctx)).toEqual([
        'accord-msp-outside-window',
      ]);
      expect(fired([msp(at(0), '203.0.113.80')], ctx)).toEqual(['accord-msp-outside-network']);
      expect(fired([msp(at(0), '198.51.100.20', false)], ctx)).toEqual(['accord-msp-no-mfa']);
    });
    it('not enforced when the agreement has no windows or networks; customers accounts are not MSP', () => {
      expect(fired([msp('2024-03-03T23:30:00.000Z', '203.0.113.80')], noCtx)).toEqual([]);
      expect(
        fired([{ ...msp('2024-03-03T23:30:00.000Z', '203.0.113.80', false), isMsp: false }], ctx),
      ).toEqual([]);
    });
    it('a window across midnight belongs to the day it starts', () => {
      const night: TenantContext = {
        ...ctx,
        maintenanceWindows: [{ days: [6], start: '22:00', end: '04:00', tz: 'UTC' }],
      };
      expect(fired([msp('2024-03-10T02:00:00.000Z', '198.51.100.20')], night)).toEqual([]); // Sunday 02:00
      expect(fired([msp('2024-03-11T02:00:00.000Z', '198.51.100.20')], night)).toEqual([
        'accord-msp-outside-window',
      ]);
    });
  });

  describe('account and audit changes (values as the Windows and Okta parsers write them)', () => {
    it('MFA factors reset (Okta)', () => {
      const e = ev({
        time: at(0),
        class: 'policy_change',
        activity: 'mfa_factors_reset',
        user: 'admin@x',
        targetUser: 'dave@x',
      });
      expect(fired([e])).toEqual(['accord-mfa-disabled']);
    });
    it('member added to Domain Admins (4728), not to a normal group', () => {
      const added = (group: string) =>
        ev({
          time: at(0),
          class: 'group_change',
          activity: 'member_added',
          user: 'eve',
          targetUser: 'CN=mallory',
          group,
        });
      expect(fired([added('Domain Admins')])).toEqual(['accord-admin-group-added']);
      expect(fired([added('Administrators')])).toEqual(['accord-admin-group-added']);
      expect(fired([added('Marketing')])).toEqual([]);
    });
    it('account created then used within minutes (4720 then 4624), not when used days later', () => {
      const created = ev({
        time: at(0),
        class: 'account_change',
        activity: 'user_created',
        user: 'admin',
        targetUser: 'svc_new',
      });
      const used = (m: number) => ok(at(m), 'svc_new', '192.0.2.9', { activity: 'logon_network' });
      const d = of(run([created, used(4)]), 'accord-account-created-used');
      expect(d[0]!.groupValues).toEqual({ account: 'svc_new' });
      expect(fired([created, used(3 * 24 * 60)])).toEqual([]);
    });
    it('audit log cleared (1102) and audit policy changed (4719)', () => {
      expect(
        fired([ev({ time: at(0), class: 'audit_log', activity: 'log_cleared', dstHost: 'DC1', user: 'x' })]),
      ).toEqual(['accord-audit-log-cleared']);
      expect(
        fired([
          ev({ time: at(0), class: 'policy_change', activity: 'audit_policy_changed', dstHost: 'DC1' }),
        ]),
      ).toEqual(['accord-audit-policy-changed']);
    });
  });
});
