import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor } from '../../../test/support/factories.ts';
import type { Runtime } from '../../server.ts';
import { verifyStored } from './audit.service.ts';
import { GENESIS_HASH } from './audit-chain.ts';

describe.each(dbTargets())('audit trail ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());

  it('chains every change per organisation from genesis, with actor, IP and digests', async () => {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    await rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'Audit me',
      controls: [{ controlId: 'LOG-01' }],
    });
    const entries = await rt.services.audit.list(ctxFor(cust.admin, 'customer'), cust.org.id);
    expect(entries[0]!.seq).toBe(1);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
    const drafted = entries.find((e) => e.action === 'agreement.drafted')!;
    expect(drafted).toMatchObject({
      actorUserId: msp.admin.id,
      actorOrgId: msp.org.id,
      actorLabel: msp.admin.email,
      ip: '127.0.0.1',
      targetType: 'agreement',
    });
    expect(drafted.afterDigest).toMatch(/^[0-9a-f]{64}$/);
    // The MSP's own trail holds the same change (both parties' trails are complete).
    const mspTrail = await rt.services.audit.list(m, msp.org.id);
    expect(mspTrail.some((e) => e.action === 'agreement.drafted' && e.targetId === drafted.targetId)).toBe(
      true,
    );
    expect(await verifyStored(rt.database.db, cust.org.id)).toMatchObject({
      ok: true,
      entries: entries.length,
    });
  });

  it('keeps one gap-free chain under concurrent writers', async () => {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        rt.services.agreements.create(m, {
          customerOrgId: cust.org.id,
          title: `Concurrent ${i}`,
          controls: [{ controlId: 'LOG-01' }],
        }),
      ),
    );
    const r = await verifyStored(rt.database.db, cust.org.id);
    expect(r.ok).toBe(true);
    const entries = await rt.services.audit.list(m, cust.org.id, 0, 500);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
  });

  it('refuses updates and deletes of entries', async () => {
    const msp = await createMsp(rt);
    await expect(
      sql`update audit_log set action = 'x' where org_id = ${msp.org.id}`.execute(rt.database.db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`delete from audit_log where org_id = ${msp.org.id}`.execute(rt.database.db),
    ).rejects.toThrow(/append-only/);
  });

  it('names the first altered, removed or truncated entry', async () => {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    for (let i = 0; i < 3; i++)
      await rt.services.agreements.create(m, {
        customerOrgId: cust.org.id,
        title: `T${i}`,
        controls: [{ controlId: 'LOG-01' }],
      });
    const org = cust.org.id;
    const n = (await verifyStored(rt.database.db, org)).entries;
    expect(n).toBeGreaterThanOrEqual(5);
    // Tampering needs the trigger off, as an attacker with database access would do.
    await sql`alter table audit_log disable trigger audit_log_no_update`.execute(rt.database.db);
    try {
      await sql`update audit_log set actor_label = 'someone else' where org_id = ${org} and seq = 3`.execute(
        rt.database.db,
      );
      expect(await verifyStored(rt.database.db, org)).toMatchObject({
        ok: false,
        firstBrokenSeq: 3,
        reason: expect.stringMatching(/altered/),
      });
      await sql`delete from audit_log where org_id = ${org} and seq = 3`.execute(rt.database.db);
      expect(await verifyStored(rt.database.db, org)).toMatchObject({
        ok: false,
        firstBrokenSeq: 4,
        reason: expect.stringMatching(/missing/),
      });
      await sql`delete from audit_log where org_id = ${org} and seq >= 3`.execute(rt.database.db);
      expect(await verifyStored(rt.database.db, org)).toMatchObject({
        ok: false,
        firstBrokenSeq: 3,
        reason: expect.stringMatching(/removed from the end/),
      });
      await sql`delete from audit_log where org_id = ${org}`.execute(rt.database.db);
      await sql`delete from audit_chain_heads where org_id = ${org}`.execute(rt.database.db);
      expect(await verifyStored(rt.database.db, org)).toMatchObject({
        ok: false,
        firstBrokenSeq: 1,
        reason: expect.stringMatching(/no audit trail/),
      });
    } finally {
      await sql`alter table audit_log enable trigger audit_log_no_update`.execute(rt.database.db);
    }
  });
});
