import type { RequestContext } from '../../platform/context.ts';
import type { Runtime } from '../../server.ts';

/**
 * Demo telemetry for the customer with the active agreement: a week of identity-provider sign-ins
 * (generic JSON, mapped) and jump-host sshd lines, with the MSP's engineers signing in (with MFA,
 * once without), a brute-force burst and a password spray mixed into ordinary traffic, so the demo
 * shows sources, search, seals, detections and verified controls. Deterministic (no randomness).
 */
const SIGNIN_MAPPING = {
  time: { path: 'time' },
  class: { default: 'authentication' },
  activity: { default: 'sign_in' },
  outcome: { path: 'result', map: { ok: 'success', fail: 'failure' } },
  reason: { path: 'why', map: { bad_password: 'bad_password', no_user: 'unknown_user' } },
  user: 'user',
  srcIp: 'ip',
  app: { default: 'Microsoft 365' },
  mfaUsed: { path: 'mfa', map: { yes: true, no: false } },
};

const STAFF = ['amy', 'ben', 'cho', 'dev', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon', 'kim', 'lee'];
const H = 3_600_000;

export async function seedDemoLogs(rt: Runtime, ctx: RequestContext, orgId: string, domain: string) {
  const { sources, ingest } = rt.services;
  const idp = await sources.create(ctx, orgId, {
    kind: 'generic_json',
    name: 'Identity provider sign-ins',
    expectedIntervalMinutes: 60,
    mapping: SIGNIN_MAPPING,
    categories: ['identity_signin'],
  });
  const jump = await sources.create(ctx, orgId, {
    kind: 'linux_syslog',
    name: 'Jump host sshd',
    expectedIntervalMinutes: 240,
    categories: ['server_auth', 'remote_access'],
  });
  const now = Date.now();
  const signins: object[] = [];
  const at = (ms: number) => new Date(ms).toISOString();
  // Seven days of office hours: every member of staff signs in each morning, one typo a day.
  for (let day = 7; day >= 0; day--) {
    const base = now - day * 24 * H - 2 * H;
    STAFF.forEach((u, i) => {
      const t = base + i * 60_000;
      if (i === day % STAFF.length)
        signins.push({
          time: at(t - 30_000),
          result: 'fail',
          why: 'bad_password',
          user: `${u}@${domain}`,
          ip: '198.51.100.10',
        });
      signins.push({ time: at(t), result: 'ok', user: `${u}@${domain}`, ip: '198.51.100.10', mfa: 'yes' });
    });
    // The MSP's engineer, from the MSP's network, with MFA.
    signins.push({
      time: at(base + 30 * 60_000),
      result: 'ok',
      user: 'erin.engineer@northwind.example',
      ip: '192.0.2.25',
      mfa: 'yes',
    });
  }
  // Yesterday evening: the MSP's admin account without MFA, from an unlisted address.
  signins.push({
    time: at(now - 20 * H),
    result: 'ok',
    user: 'alex.admin@northwind.example',
    ip: '203.0.113.200',
    mfa: 'no',
  });
  // Three hours ago: a password spray across every account from one address.
  STAFF.forEach((u, i) =>
    signins.push({
      time: at(now - 3 * H + i * 20_000),
      result: 'fail',
      why: 'bad_password',
      user: `${u}@${domain}`,
      ip: '203.0.113.66',
    }),
  );
  signins.sort((a, b) => ((a as { time: string }).time < (b as { time: string }).time ? -1 : 1));
  await ingest.ingest(
    idp,
    signins.map((s, i) => ({ line: i + 1, text: JSON.stringify(s) })),
  );
  // An hour ago: a brute-force burst on the jump host, then a success from the same address.
  const lines: string[] = [];
  for (let i = 0; i < 25; i++)
    lines.push(
      `${at(now - H + i * 4000)} jump01 sshd[${4100 + i}]: Failed password for root from 203.0.113.45 port ${50000 + i} ssh2`,
    );
  lines.push(
    `${at(now - H + 120_000)} jump01 sshd[4200]: Accepted password for root from 203.0.113.45 port 50200 ssh2`,
  );
  lines.push(
    `${at(now - 30 * 60_000)} jump01 sshd[4300]: Accepted publickey for erin from 192.0.2.25 port 50300 ssh2`,
  );
  await ingest.ingest(
    jump,
    lines.map((text, i) => ({ line: i + 1, text })),
  );
  return { sources: 2, events: signins.length + lines.length };
}
