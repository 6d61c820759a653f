import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent } from '@accord/contracts';
import { windowsSecurityParser } from './windows-security.parser.ts';
import type { ParseContext } from './parser.types.ts';

const ctx: ParseContext = { receivedAt: new Date('2024-05-15T00:00:00Z') };
const lines = readFileSync(new URL('./fixtures/windows-app-control.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
const line = (n: number): unknown => JSON.parse(lines[n - 1]!);

function parse(n: number) {
  const r = windowsSecurityParser.parse(line(n), ctx);
  if (!r.ok) throw new Error(`line ${n}: expected an event, got: ${r.error}`);
  return NormalisedEvent.parse(r.event);
}

describe('AppLocker and App Control (WDAC) events in the Windows parser', () => {
  it('8004: an EXE blocked, with the file, user, device and no rule', () => {
    expect(parse(1)).toMatchObject({
      class: 'app_control',
      activity: 'app_blocked',
      action: 'blocked',
      outcome: 'failure',
      reason: 'policy_blocked',
      processName: '%OSDRIVE%\\USERS\\BOB\\DOWNLOADS\\ANYDESK.EXE',
      user: 'bob',
      userDomain: 'CONTOSO',
      dstHost: 'WKS-0042.contoso.example',
      app: 'AppLocker EXE',
      signature: null,
      signatureId: null,
      vendorEventId: '8004',
    });
  });

  it('8003: audit only (would have been blocked), the full path preferred, user from System/Security', () => {
    expect(parse(2)).toMatchObject({
      activity: 'app_audited',
      action: 'audited',
      outcome: 'success',
      processName: 'C:\\Users\\alice\\AppData\\Local\\Temp\\tool.exe',
      user: 'S-1-5-21-1377283216-344919071-3415362939-1107',
      dstHost: 'WKS-0050.contoso.example',
    });
  });

  it('8002: allowed by a named rule (signature and rule id)', () => {
    expect(parse(3)).toMatchObject({
      activity: 'app_allowed',
      action: 'allowed',
      signature: '(Default Rule) All files located in the Program Files folder',
      signatureId: '{921cc481-6e17-4653-8f75-050b80acca20}',
    });
  });

  it('8005-8007: MSI and script decisions', () => {
    expect(parse(4)).toMatchObject({
      activity: 'app_blocked',
      app: 'AppLocker SCRIPT',
      processName: 'C:\\Users\\bob\\Downloads\\invoice.js',
    });
    expect(parse(5)).toMatchObject({ activity: 'app_audited', app: 'AppLocker MSI' });
    // No System user: the account from RuleAndFileData's TargetUser.
    expect(parse(6)).toMatchObject({ activity: 'app_allowed', user: 'S-1-5-18' });
  });

  it('3077 / 3076: WDAC enforced block and audit, policy as signature', () => {
    expect(parse(7)).toMatchObject({
      class: 'app_control',
      activity: 'app_blocked',
      action: 'blocked',
      app: 'App Control',
      processName: '\\Device\\HarddiskVolume3\\Users\\svc-app\\Downloads\\rustdesk-1.2.3-x86_64.exe',
      signature: 'Contoso Server Baseline',
      signatureId: '10.0.0.3',
      reasonDetail: 'loaded by \\Device\\HarddiskVolume3\\Windows\\explorer.exe',
      dstHost: 'SRV-APP01.contoso.example',
      user: 'SYSTEM',
    });
    expect(parse(8)).toMatchObject({
      activity: 'app_audited',
      action: 'audited',
      processName: '\\Device\\HarddiskVolume3\\ProgramData\\Tools\\psexec.exe',
      user: 'S-1-5-18',
    });
  });

  it('leaves the same event id from another channel and provider alone', () => {
    const e = parse(9);
    expect(e.class).toBe('other');
    expect(e.action ?? null).toBeNull();
  });

  it('rejects malformed records with the reason', () => {
    expect(windowsSecurityParser.parse(line(10), ctx)).toEqual({
      ok: false,
      error: 'invalid event id "80041"',
    });
    expect(windowsSecurityParser.parse(line(11), ctx)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^missing time/),
    });
  });
});
