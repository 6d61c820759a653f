import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../../../test/support/factories.ts';
import { AppError } from '../../platform/errors.ts';
import type { Runtime } from '../../server.ts';
import { createCoverageService, type CoverageService } from './coverage.service.ts';
import { createRetentionService } from './retention.service.ts';
import type { SourceRow } from './sources.service.ts';

const DAY = 86_400_000;
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const dayOf = (ms: number) => iso(ms).slice(0, 10);

async function expectCode(p: Promise<unknown>, code: string) {
  await expect(p).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === code);
}

describe.each(dbTargets())('log coverage ($name)', (target) => {
  let rt: Runtime;
  let coverage: CoverageService;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
    const db = rt.database.db;
    coverage = createCoverageService({
      db,
      retention: createRetentionService({ db, audit: rt.services.audit }),
    });
  });
  afterAll(() => rt.close());

  // "Now" is noon UTC today; the events are recent (and a few months old), and every tenant is
  // this test's own, so other tests' events in the same days change nothing.
  const today = Date.parse(`${dayOf(Date.now())}T00:00:00Z`);
  const now = new Date(today + 12 * 60 * MIN);
  const ago = (days: number, minutes = 10 * 60) => today - days * DAY + minutes * MIN;

  /** One batch per call, received `lagMinutes` after its newest event. */
  const send = async (source: SourceRow, times: number[], lagMinutes = 5) => {
    const r = await rt.services.ingest.ingest(
      source,
      times.map((t, i) => ({
        line: i + 1,
        text: `${iso(t)} host sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2`,
      })),
      new Date(Math.max(...times) + lagMinutes * MIN),
    );
    expect(r.accepted).toBe(times.length);
  };

  async function world() {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const c = ctxFor(cust.admin, 'customer');
    const source = (name: string, expectedIntervalMinutes: number) =>
      rt.services.sources.create(c, cust.org.id, { kind: 'linux_syslog', name, expectedIntervalMinutes });
    return { msp, cust, c, m: ctxFor(msp.admin, 'msp'), source };
  }

  it('reports per source the events held, per-day counts, gap days and silence, and for the tenant the days held against retention', async () => {
    const w = await world();
    const bastion = await w.source('bastion', 60);
    const weekly = await w.source('weekly', 7 * 24 * 60);
    const quiet = await w.source('quiet', 60);
    const never = await w.source('never', 60);
    await send(weekly, [ago(200)]);
    await send(bastion, [ago(40)]);
    await send(bastion, [ago(10)]);
    await send(bastion, [ago(9), ago(9, 11 * 60)]);
    await send(bastion, [ago(7)]);
    await send(bastion, [ago(3)]);
    await send(quiet, [ago(5)]);
    await send(weekly, [ago(2)]);
    await send(bastion, [now.getTime() - 15 * MIN]); // delivered 10 minutes ago

    const cov = await coverage.coverage(w.c, w.cust.org.id, now);
    expect(cov).toMatchObject({ orgId: w.cust.org.id, now: iso(now.getTime()), windowDays: 30 });
    const by = new Map(cov.sources.map((s) => [s.name, s]));
    expect([...by.keys()]).toEqual(['bastion', 'never', 'quiet', 'weekly']);

    const b = by.get('bastion')!;
    expect(b).toMatchObject({
      sourceId: bastion.id,
      oldestEvent: iso(ago(40)),
      newestEvent: iso(now.getTime() - 15 * MIN),
      eventsHeld: 7,
      silent: false,
      historyComplete: true,
    });
    expect(b.perDay).toHaveLength(30);
    expect(b.perDay[0]!.day).toBe(dayOf(ago(29)));
    expect(b.perDay[29]).toEqual({ day: dayOf(today), events: 1 });
    const perDay = Object.fromEntries(b.perDay.filter((d) => d.events > 0).map((d) => [d.day, d.events]));
    expect(perDay).toEqual({
      [dayOf(ago(10))]: 1,
      [dayOf(ago(9))]: 2,
      [dayOf(ago(7))]: 1,
      [dayOf(ago(3))]: 1,
      [dayOf(today)]: 1,
    });
    // Its first event is older than the window: every whole day of the window without one is a gap.
    const withEvents = new Set([10, 9, 7, 3]);
    const expectedGaps = [];
    for (let n = 29; n >= 1; n--) if (!withEvents.has(n)) expectedGaps.push(dayOf(ago(n)));
    expect(b.gapDays).toEqual(expectedGaps);

    // Gaps run from the first event; the last delivery was 5 days ago: silent.
    expect(by.get('quiet')).toMatchObject({
      oldestEvent: iso(ago(5)),
      newestEvent: iso(ago(5)),
      silent: true,
      gapDays: [1, 2, 3, 4].map((n) => dayOf(ago(5 - n))),
    });
    // Not expected daily: gaps are not judged; delivered 2 days ago within its week: not silent.
    expect(by.get('weekly')).toMatchObject({ oldestEvent: iso(ago(200)), gapDays: null, silent: false });
    expect(by.get('never')).toMatchObject({
      sourceId: never.id,
      oldestEvent: null,
      newestEvent: null,
      eventsHeld: 0,
      gapDays: [],
      historyComplete: false,
    });
    expect(cov.tenant).toMatchObject({
      oldestEvent: iso(ago(200)),
      daysHeld: 200,
      requiredDays: 180,
      requirement: { basis: 'default', overridden: false },
      reachesRequired: true,
      sourcesMissingHistory: 1,
    });

    // The window can be narrowed; other tenants' events never count.
    const week = await coverage.coverage(w.m, w.cust.org.id, now, { days: 7 });
    expect(week.sources.find((s) => s.name === 'bastion')!.perDay.map((d) => d.events)).toEqual([
      0, 0, 0, 1, 0, 0, 1,
    ]);
    await expectCode(coverage.coverage(w.c, w.cust.org.id, now, { days: 0 }), 'validation_failed');
  });

  it('measures the history held against the agreed retention', async () => {
    const w = await world();
    const d = await rt.services.agreements.create(w.m, {
      customerOrgId: w.cust.org.id,
      title: 'Schedule',
      controls: [{ controlId: 'LOG-01', parameters: { log_retention_days: 365 } }],
    });
    const p = await rt.services.agreements.propose(w.m, d.agreement_id, 1);
    await rt.services.agreements.accept(w.m, d.agreement_id, 1, p.digest!);
    await rt.services.agreements.accept(w.c, d.agreement_id, 1, p.digest!);
    const s = await w.source('firewall', 60);
    await send(s, [ago(200)]);
    const cov = await coverage.coverage(w.c, w.cust.org.id, now);
    expect(cov.tenant).toMatchObject({
      daysHeld: 200,
      requiredDays: 365,
      requirement: { basis: 'agreement', agreementId: d.agreement_id },
      reachesRequired: false,
    });
    // Older than its registration, so the source itself is not missing history.
    expect(cov.sources[0]).toMatchObject({ historyComplete: true, silent: true });
  });

  it('answers 404 to another tenant', async () => {
    const w = await world();
    const other = await world();
    await expectCode(coverage.coverage(other.c, w.cust.org.id, now), 'not_found');
    await expectCode(coverage.coverage(other.m, w.cust.org.id, now), 'not_found');
  });
});
