import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../../../test/support/factories.ts';
import { canonicalJson } from '../../platform/canonical-json.ts';
import type { Runtime } from '../../server.ts';
import type { Parser } from './parsers/parser.types.ts';
import { eventHashLine, toEventRow, type EventRow } from './event-row.ts';
import { ensurePartitions, eventsOfBatch, insertEvents } from './events.repo.ts';
import { contentHashOf, createIngestService, type IngestRecord } from './ingest.service.ts';
import { verifyStoredLogs } from './logs.service.ts';
import { createSourcesService } from './sources.service.ts';

/** `ISO-time|user|outcome|srcIp`, as in ingest.int.test.ts. */
const pipeParser: Parser<string> = {
  kind: 'linux_syslog',
  input: 'line',
  parse(line) {
    const [time, user, outcome, ip] = line.split('|');
    if (!time || !user || (outcome !== 'success' && outcome !== 'failure'))
      return { ok: false, error: 'expected time|user|outcome|ip' };
    return {
      ok: true,
      event: { time, class: 'authentication', activity: 'logon', outcome, user, srcIp: ip || null },
    };
  },
};
const lines = (...texts: string[]): IngestRecord[] => texts.map((text, i) => ({ line: i + 1, text }));

/** Text that COPY's text format must escape, and some it must leave alone. */
const NASTY = [
  'tab\there',
  'back\\slash \\N \\t \\\\ \\.',
  'line\nbreak\r\ncrlf\rcr',
  '\\.',
  '"double" \'single\' `back`',
  'unicode: é ß 中文 🔐 \u2028\u2029 \u00a0 zero\u200bwidth',
  '\u0001\u0007\u001b[31m control',
  ' leading and trailing ',
];

function nastyRow(i: number, time: string): EventRow {
  const s = (k: number) => NASTY[(i + k) % NASTY.length]!;
  return {
    time,
    class: 'authentication',
    activity: 'logon',
    outcome: i % 2 ? 'failure' : 'success',
    reason: s(0),
    reasonDetail: s(1),
    user: s(2),
    userDomain: s(3),
    targetUser: i % 3 ? null : s(4),
    group: s(5),
    srcIp: i % 2 ? '2001:db8::1' : '203.0.113.7',
    srcPort: i % 4 ? 50_000 + i : null,
    geo:
      i % 4 === 0
        ? null
        : { country: 'DE', city: s(6), loc: { lat: 52.52, lon: -13.4 }, 'k\te\\y"': [1, 'x\ny', null, true] },
    dstHost: s(7),
    app: s(1),
    authProtocol: s(2),
    mfaUsed: i % 3 === 0 ? null : i % 3 === 1,
    processName: s(3),
    commandLine: s(4),
    vendorEventId: s(5),
    isMsp: i % 2 === 0,
    raw: `${NASTY.join('\t')}|${i}`,
    // Network and endpoint fields on every third row; the others have none (and hash as before).
    dstIp: i % 3 === 0 ? '2001:db8::53' : null,
    dstPort: i % 3 === 0 ? 443 : null,
    protocol: i % 3 === 0 ? 'tls' : null,
    action: i % 3 === 0 ? 'blocked' : null,
    signature: i % 3 === 0 ? s(6) : null,
    signatureId: i % 3 === 0 ? s(7) : null,
    severity: i % 3 === 0 ? 'critical' : null,
  };
}

describe('eventHashLine', () => {
  it('gives the bytes of the canonical JSON array of the fields, so earlier seals still verify', () => {
    const src = randomUUID();
    for (let i = 0; i < 16; i++) {
      const e = nastyRow(i, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString());
      const fields = [e.time, e.class, e.activity, e.outcome, e.reason, e.reasonDetail, e.user, e.userDomain];
      const more = [
        e.targetUser,
        e.group,
        e.srcIp,
        e.srcPort,
        e.geo,
        e.dstHost,
        e.app,
        e.authProtocol,
        e.mfaUsed,
      ];
      const rest = [e.processName, e.commandLine, e.vendorEventId, e.isMsp, e.raw];
      // Network fields, when an event has any, are one more element: an array in a fixed order.
      const net = [e.dstIp, e.dstPort, e.protocol, e.action, e.signature, e.signatureId, e.severity];
      const extra = net.some((v) => v != null) ? [net] : [];
      expect(eventHashLine(src, e)).toBe(canonicalJson([src, ...fields, ...more, ...rest, ...extra]));
      // A row built without the fields at all hashes as one with them null.
      if (extra.length === 0) {
        const { dstIp, dstPort, protocol, action, signature, signatureId, severity, ...legacy } = e;
        expect(
          [dstIp, dstPort, protocol, action, signature, signatureId, severity].every((v) => v === null),
        ).toBe(true);
        expect(eventHashLine(src, legacy)).toBe(eventHashLine(src, e));
      }
    }
    const e = nastyRow(1, '2026-01-01T00:00:00.000Z');
    expect(() => eventHashLine(src, { ...e, srcPort: Number.NaN })).toThrow(/non-finite/);
  });
});

describe.each(dbTargets())('event store: COPY, seal chain, tampering ($name)', (target) => {
  let rt: Runtime;
  let ingest: ReturnType<typeof createIngestService>;
  let sources: ReturnType<typeof createSourcesService>;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
    const db = rt.database.db;
    sources = createSourcesService({ db, audit: rt.services.audit, validateMapping: () => {} });
    ingest = createIngestService({ db, parserFor: () => pipeParser as Parser });
  });
  afterAll(() => rt.close());

  async function tenant() {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const c = ctxFor(cust.admin, 'customer');
    const source = await sources.create(c, cust.org.id, {
      kind: 'linux_syslog',
      name: 'bastion',
      expectedIntervalMinutes: 60,
    });
    return { org: cust.org.id, source };
  }
  const now = Date.now();
  const t = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();

  it('stores every field of nasty rows through COPY and reads back the same values and hash', async () => {
    const { org, source } = await tenant();
    const rows = Array.from({ length: 40 }, (_, i) => nastyRow(i, t(200 - i)));
    const batchId = randomUUID();
    const received = new Date(now).toISOString();
    const db = rt.database.db;
    await ensurePartitions(
      db,
      rows.map((r) => r.time),
    );
    await db.transaction().execute((tx) => insertEvents(tx, org, source.id, batchId, received, rows));
    const back = await eventsOfBatch(db, org, {
      id: batchId,
      min_time: rows[0]!.time,
      max_time: rows[39]!.time,
    });
    expect(back).toHaveLength(40);
    back.forEach((b, i) => {
      const { id, sourceId, receivedAt, ...stored } = b;
      expect(id).toMatch(/^\d+$/);
      expect(sourceId).toBe(source.id);
      expect(receivedAt).toBe(received);
      expect(stored).toEqual(rows[i]);
    });
    expect(contentHashOf(source.id, back)).toBe(contentHashOf(source.id, rows));
    // Found by the filters search uses, exactly as sent.
    const tabbed = await db
      .selectFrom('events')
      .select('raw')
      .where('org_id', '=', org)
      .where('username', '=', NASTY[2]!)
      .execute();
    expect(tabbed.length).toBeGreaterThan(0);
    expect(tabbed.every((r) => r.raw.startsWith(NASTY.join('\t')))).toBe(true);
  });

  it('keeps one tenant gap-free when many batches are stored at once', async () => {
    const { org, source } = await tenant();
    const n = 8;
    const outcomes = await Promise.all(
      Array.from({ length: n }, (_, b) =>
        ingest.ingest(
          source,
          lines(...Array.from({ length: 50 }, (_, i) => `${t(100 - i)}|u${b}|failure|198.51.100.${b}`)),
        ),
      ),
    );
    expect(outcomes.map((o) => o.seq).sort((a, b) => a! - b!)).toEqual(
      Array.from({ length: n }, (_, i) => i + 1),
    );
    const chain = await rt.database.db
      .selectFrom('ingest_batches')
      .select(['seq', 'prev_seal', 'seal'])
      .where('org_id', '=', org)
      .orderBy('seq')
      .execute();
    chain.forEach((b, i) => i > 0 && expect(b.prev_seal).toBe(chain[i - 1]!.seal));
    const head = await rt.database.db
      .selectFrom('seal_heads')
      .select(['seq', 'seal'])
      .where('org_id', '=', org)
      .executeTakeFirstOrThrow();
    expect([Number(head.seq), head.seal]).toEqual([n, chain[n - 1]!.seal]);
    expect(await verifyStoredLogs(rt.database.db, org)).toMatchObject({
      ok: true,
      batches: n,
      events: n * 50,
    });
  });

  it('detects an event moved in time or added to a batch outside its time range', async () => {
    const { org, source } = await tenant();
    const db = rt.database.db;
    const r = await ingest.ingest(source, lines(`${t(30)}|ann|failure|`, `${t(20)}|ann|success|`));
    expect(await verifyStoredLogs(db, org)).toMatchObject({ ok: true, events: 2 });
    // Moved: the second event's time pushed an hour later, out of its batch's range.
    await sql`update events set time = time + interval '1 hour' where org_id = ${org} and batch_id = ${r.batchId} and batch_pos = 1`.execute(
      db,
    );
    expect(await verifyStoredLogs(db, org)).toMatchObject({ ok: false, firstBrokenSeq: 1 });
    await sql`update events set time = time - interval '1 hour' where org_id = ${org} and batch_id = ${r.batchId} and batch_pos = 1`.execute(
      db,
    );
    expect(await verifyStoredLogs(db, org)).toMatchObject({ ok: true });
    // Added: a copy of an event, claiming the batch, but dated outside its range.
    const victim = await db
      .selectFrom('events')
      .selectAll()
      .where('org_id', '=', org)
      .where('batch_id', '=', r.batchId!)
      .where('batch_pos', '=', 0)
      .executeTakeFirstOrThrow();
    await db
      .insertInto('events')
      .values({ ...victim, id: undefined, time: new Date(now - 10 * 60_000), batch_pos: 2 } as never)
      .execute();
    expect(await verifyStoredLogs(db, org)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/outside its time range/),
    });
  });
});

describe('toEventRow', () => {
  it('stores times exactly as Date#toISOString writes them, whatever form the parser gave', () => {
    const base = { class: 'authentication', activity: 'logon', outcome: 'success' } as const;
    for (const time of [
      '2026-01-05T10:20:30.456Z',
      '2026-02-28T23:59:59.999Z',
      '2026-02-30T00:00:00.000Z',
      '2026-01-31T24:00:00.000Z',
      '2026-01-05T10:20:30Z',
      '2026-01-05T12:20:30.456+02:00',
    ])
      expect(toEventRow({ ...base, time }, 'x').time).toBe(new Date(time).toISOString());
  });
});
