import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent } from '@accord/contracts';
import { mdeAlertsParser } from './mde-alerts.parser.ts';
import type { ParseContext } from './parser.types.ts';

const ctx: ParseContext = { receivedAt: new Date('2024-05-15T00:00:00Z') };
const page = (file: string) =>
  (JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as { value: unknown[] })
    .value;
const api = page('mde-alerts.json');
const graph = page('mde-alerts-graph.json');

function parse(record: unknown) {
  const r = mdeAlertsParser.parse(record, ctx);
  if (!r.ok) throw new Error(`expected an event, got: ${r.error}`);
  return NormalisedEvent.parse(r.event);
}
function reject(record: unknown): string {
  const r = mdeAlertsParser.parse(record, ctx);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

describe('Defender for Endpoint alerts parser', () => {
  it('reads an API alert: severity, device, related user, title, id, category, process evidence', () => {
    expect(parse(api[0])).toMatchObject({
      time: '2024-05-14T10:33:57.722Z',
      class: 'finding',
      activity: 'edr_alert',
      severity: 'high',
      dstHost: 'wks-0042.contoso.example',
      user: 'bob',
      userDomain: 'CONTOSO',
      signature: 'Low-reputation arbitrary code executed by signed executable',
      signatureId: 'da637472900382838869_1364969609',
      reasonDetail: 'Execution',
      app: 'WindowsDefenderAtp',
      processName: 'C:\\Windows\\System32\\rundll32.exe',
      commandLine: 'rundll32.exe c:\\temp\\suspicious.dll,RepeatAfterMe',
      dstIp: '203.0.113.66',
      vendorEventId: 'defender:alert',
    });
  });

  it('takes the logged-on user when no related user is given; Medium is medium', () => {
    expect(parse(api[1])).toMatchObject({
      severity: 'medium',
      user: 'svc-backup',
      dstHost: 'srv-file01.contoso.example',
    });
  });

  it('marks resolved alerts, and keeps an UnSpecified severity as none', () => {
    expect(parse(api[2])).toMatchObject({ activity: 'edr_alert_resolved', severity: 'informational' });
    expect(parse(api[3])).toMatchObject({ activity: 'edr_alert', severity: null });
  });

  it('reads a Graph alerts_v2 alert: device, user and process from its evidence', () => {
    expect(parse(graph[0])).toMatchObject({
      time: '2024-05-14T12:01:02.345Z',
      class: 'finding',
      activity: 'edr_alert',
      severity: 'high',
      dstHost: 'wks-0077.contoso.example',
      user: 'm.jones',
      userDomain: 'CONTOSO',
      app: 'microsoftDefenderForEndpoint',
      processName: 'C:\\Windows\\System32\\wscript.exe',
      signature: 'Suspicious execution of hidden file',
    });
  });

  it.each([
    [4, 'severity "Severe" is not one Defender uses (Informational, Low, Medium, High)'],
    [5, 'missing alertCreationTime'],
    [6, 'missing id'],
  ])('rejects alert %i: %s', (i, reason) => {
    expect(reject(api[i])).toBe(reason);
  });

  it('rejects a page passed as one record', () => {
    expect(reject(api)).toBe('expected a JSON object (one alert), got an array');
  });
});
