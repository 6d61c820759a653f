import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import {
  addUser,
  createCustomer,
  createMsp,
  ctxFor,
  SAMPLE_CONTROLS,
} from '../../../test/support/factories.ts';
import { digestOf } from '../../platform/canonical-json.ts';
import { AppError } from '../../platform/errors.ts';
import type { Runtime } from '../../server.ts';
import { renderHtml, renderJson, renderMarkdown, verifyExport } from './agreement-export.ts';

async function expectCode(p: Promise<unknown>, code: string) {
  await expect(p).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === code);
}

describe.each(dbTargets())('agreements ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());

  async function world() {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    return { msp, cust, m: ctxFor(msp.admin, 'msp'), c: ctxFor(cust.admin, 'customer') };
  }

  /** A world with version 1 of an agreement proposed by the MSP and accepted by both parties. */
  async function activeAgreement(title: string) {
    const w = await world();
    const d = await rt.services.agreements.create(w.m, {
      customerOrgId: w.cust.org.id,
      title,
      controls: SAMPLE_CONTROLS,
    });
    const p = await rt.services.agreements.propose(w.m, d.agreement_id, 1);
    await rt.services.agreements.accept(w.m, d.agreement_id, 1, p.digest!);
    await rt.services.agreements.accept(w.c, d.agreement_id, 1, p.digest!);
    return { ...w, d, p };
  }

  it('drafts from the catalog with defaults, owners and SLAs filled in', async () => {
    const { m, cust } = await world();
    const v = await rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'Schedule',
      controls: [
        { controlId: 'LOG-01', parameters: { log_retention_days: 365 } },
        { controlId: 'MFA-01', owner: 'msp' },
      ],
    });
    expect(v.state).toBe('draft');
    expect(v.digest).toBeNull();
    const log = v.content.controls.find((c) => c.controlId === 'LOG-01')!;
    expect(log.parameters.log_retention_days).toBe(365);
    expect(log.notificationSlaHours).toBe(rt.services.catalog.control('LOG-01')!.notification_sla_hours);
    expect(v.content.controls.find((c) => c.controlId === 'MFA-01')!.owner).toBe('msp');
    expect(v.content.catalog).toEqual({ id: 'accord-aa22-131a', version: rt.services.catalog.info.version });
  });

  it('refuses unknown controls, unknown parameters and wrong types, listing every problem', async () => {
    const { m, cust } = await world();
    const p = rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'Schedule',
      controls: [
        { controlId: 'ZZZ-99' },
        { controlId: 'LOG-01', parameters: { nope: 1, log_retention_days: 'long' } },
      ],
    });
    await expect(p).rejects.toSatisfy((e: unknown) => {
      const err = e as AppError;
      const problems = (err.details as { problems: { message: string }[] }).problems
        .map((x) => x.message)
        .join('\n');
      return (
        err.code === 'validation_failed' &&
        /ZZZ-99/.test(problems) &&
        /nope/.test(problems) &&
        /log_retention_days/.test(problems)
      );
    });
  });

  it('refuses a parameter below its floor unless an override with a justification is recorded, and shows the override', async () => {
    const { m, cust } = await world();
    await expectCode(
      rt.services.agreements.create(m, {
        customerOrgId: cust.org.id,
        title: 'Short logs',
        controls: [{ controlId: 'LOG-01', parameters: { log_retention_days: 90 } }],
      }),
      'parameter_below_floor',
    );
    const justification =
      'Legacy SIEM holds 90 days until the migration in Q2; interim risk accepted by the board.';
    const v = await rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'Short logs',
      controls: [
        {
          controlId: 'LOG-01',
          parameters: { log_retention_days: 90 },
          overrides: [{ parameter: 'log_retention_days', justification }],
        },
      ],
    });
    const o = v.content.controls[0]!.overrides[0]!;
    expect(o).toMatchObject({
      parameter: 'log_retention_days',
      value: 90,
      limit: 180,
      justification,
      recordedBy: m.actor.label,
    });
    expect(renderMarkdown(v)).toContain(justification);
    expect(renderHtml(v)).toContain('log_retention_days = 90');
    const trail = await rt.services.audit.list(m, cust.org.id);
    const drafted = trail.find((e) => e.action === 'agreement.drafted')!;
    expect(drafted.details.overrides).toEqual([
      expect.objectContaining({ controlId: 'LOG-01', parameter: 'log_retention_days', value: 90 }),
    ]);
  });

  it('activates a version only when both parties accept its exact digest', async () => {
    const { m, c, cust } = await world();
    const d = await rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'Schedule',
      controls: SAMPLE_CONTROLS,
    });
    const id = d.agreement_id;
    await expectCode(rt.services.agreements.accept(m, id, 1, 'a'.repeat(64)), 'invalid_state'); // a draft cannot be accepted
    const p = await rt.services.agreements.propose(m, id, 1);
    expect(p.digest).toBe(digestOf(p.content));
    expect((await rt.services.agreements.get(c, id)).status).toBe('awaiting_acceptance');
    await expectCode(rt.services.agreements.accept(c, id, 1, 'b'.repeat(64)), 'digest_mismatch');
    await rt.services.agreements.accept(m, id, 1, p.digest!);
    expect((await rt.services.agreements.get(c, id)).status).toBe('awaiting_customer');
    await expectCode(rt.services.agreements.accept(m, id, 1, p.digest!), 'conflict');
    const a = await rt.services.agreements.accept(c, id, 1, p.digest!);
    expect(a.state).toBe('active');
    expect(a.acceptances.map((x) => [x.party, x.digest])).toEqual(
      expect.arrayContaining([
        ['msp', p.digest],
        ['customer', p.digest],
      ]),
    );
    expect((await rt.services.agreements.get(m, id)).status).toBe('active');
  });

  it('keeps the active version in force while an amendment is pending, then supersedes it', async () => {
    const { m, c, cust } = await world();
    const d = await rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'Schedule',
      controls: SAMPLE_CONTROLS,
    });
    const id = d.agreement_id;
    const p1 = await rt.services.agreements.propose(m, id, 1);
    await rt.services.agreements.accept(m, id, 1, p1.digest!);
    await rt.services.agreements.accept(c, id, 1, p1.digest!);
    // The customer proposes a change.
    const draft = await rt.services.agreements.amend(c, id, { note: 'longer retention' });
    expect(draft.version).toBe(2);
    await expectCode(rt.services.agreements.amend(m, id, {}), 'invalid_state'); // one open version at a time
    await expectCode(rt.services.agreements.updateDraft(m, id, { controls: SAMPLE_CONTROLS }), 'forbidden'); // not the MSP's draft
    await rt.services.agreements.updateDraft(c, id, {
      controls: [{ controlId: 'LOG-01', parameters: { log_retention_days: 400 } }, { controlId: 'MFA-01' }],
    });
    const p2 = await rt.services.agreements.propose(c, id, 2);
    expect(p2.digest).not.toBe(p1.digest);
    const mid = await rt.services.agreements.get(m, id);
    expect(mid).toMatchObject({ status: 'active_amendment_pending', activeVersion: 1, openVersion: 2 });
    await rt.services.agreements.accept(c, id, 2, p2.digest!);
    await rt.services.agreements.accept(m, id, 2, p2.digest!);
    const versions = await rt.services.agreements.versions(m, id);
    expect(versions.map((v) => [v.version, v.state])).toEqual([
      [1, 'superseded'],
      [2, 'active'],
    ]);
  });

  it('lets the other party reject and the proposer withdraw, with the reason in the audit trail', async () => {
    const { m, c, cust } = await world();
    const d = await rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'Schedule',
      controls: SAMPLE_CONTROLS,
    });
    const id = d.agreement_id;
    await rt.services.agreements.propose(m, id, 1);
    await expectCode(rt.services.agreements.reject(m, id, 1, 'own proposal'), 'invalid_state');
    const r = await rt.services.agreements.reject(c, id, 1, 'MFA must cover service accounts too');
    expect(r.state).toBe('rejected');
    const v2 = await rt.services.agreements.amend(c, id, {});
    expect(v2.content.controls.map((x) => x.controlId)).toEqual(
      SAMPLE_CONTROLS.map((x) => x.controlId).sort(),
    );
    await expectCode(rt.services.agreements.withdraw(m, id, 2), 'invalid_state');
    expect((await rt.services.agreements.withdraw(c, id, 2)).state).toBe('withdrawn');
    const trail = await rt.services.audit.list(c, cust.org.id);
    expect(trail.find((e) => e.action === 'agreement.rejected')!.details.reason).toBe(
      'MFA must cover service accounts too',
    );
  });

  it('records both racing acceptances and activates exactly once', async () => {
    for (let i = 0; i < 3; i++) {
      const { m, c, cust } = await world();
      const d = await rt.services.agreements.create(m, {
        customerOrgId: cust.org.id,
        title: 'Race',
        controls: SAMPLE_CONTROLS,
      });
      const p = await rt.services.agreements.propose(m, d.agreement_id, 1);
      const results = await Promise.allSettled([
        rt.services.agreements.accept(m, d.agreement_id, 1, p.digest!),
        rt.services.agreements.accept(c, d.agreement_id, 1, p.digest!),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const v = await rt.services.agreements.version(m, d.agreement_id, 1);
      expect(v.state).toBe('active');
      expect(v.acceptances).toHaveLength(2);
      const activations = (await rt.services.audit.list(m, cust.org.id)).filter(
        (e) => e.action === 'agreement.accepted' && e.details.activated,
      );
      expect(activations).toHaveLength(1);
    }
  });

  it('lets only one of two racing acceptances by the same party win, and only one racing amendment', async () => {
    const { m, c, cust } = await world();
    const admin2 = await addUser(rt, cust.org.id, 'customer_admin');
    const c2 = ctxFor(admin2, 'customer');
    const d = await rt.services.agreements.create(m, {
      customerOrgId: cust.org.id,
      title: 'Race',
      controls: SAMPLE_CONTROLS,
    });
    const p = await rt.services.agreements.propose(m, d.agreement_id, 1);
    const both = await Promise.allSettled([
      rt.services.agreements.accept(c, d.agreement_id, 1, p.digest!),
      rt.services.agreements.accept(c2, d.agreement_id, 1, p.digest!),
    ]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const v = await rt.services.agreements.version(m, d.agreement_id, 1);
    expect(v.acceptances.filter((x) => x.party === 'customer')).toHaveLength(1);
    await rt.services.agreements.accept(m, d.agreement_id, 1, p.digest!);
    const amendments = await Promise.allSettled([
      rt.services.agreements.amend(m, d.agreement_id, {}),
      rt.services.agreements.amend(c, d.agreement_id, {}),
    ]);
    expect(amendments.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await rt.services.agreements.versions(m, d.agreement_id)).map((x) => x.version)).toEqual([1, 2]);
  });

  it('makes proposed and active versions immutable in the database itself', async () => {
    const { m, d, p } = await activeAgreement('Immutable');
    await expect(
      sql`update agreement_versions set content = '{}'::jsonb where id = ${p.id}`.execute(rt.database.db),
    ).rejects.toThrow(/immutable/);
    await expect(
      sql`delete from agreement_versions where id = ${p.id}`.execute(rt.database.db),
    ).rejects.toThrow(/immutable/);
    const again = await rt.services.agreements.version(m, d.agreement_id, 1);
    expect(digestOf(again.content)).toBe(p.digest);
  });

  it('exports a version whose digest anyone can recompute, and detects a changed export', async () => {
    const { c, cust, d, p } = await activeAgreement('Export <b>&</b> test');
    const v = await rt.services.agreements.version(c, d.agreement_id, 1);
    for (const text of [renderMarkdown(v), renderHtml(v), renderJson(v)]) {
      const ok = verifyExport(text);
      expect(ok).toMatchObject({
        ok: true,
        statedDigest: p.digest,
        computedDigest: p.digest,
        acceptancesMatch: true,
      });
      const tampered = text
        .replace('"log_retention_days":180', '"log_retention_days":90')
        .replace('"log_retention_days": 180', '"log_retention_days": 90');
      expect(tampered).not.toBe(text);
      expect(verifyExport(tampered).ok).toBe(false);
    }
    // Editing only the readable table (not the JSON) is caught too.
    const md0 = renderMarkdown(v);
    const editedTable = md0.replace(/log_retention_days = 180/, 'log_retention_days = 90');
    expect(editedTable).not.toBe(md0);
    expect(verifyExport(editedTable)).toMatchObject({ ok: false, termsMatch: false });
    const html0 = renderHtml(v);
    expect(verifyExport(html0.replace('log_retention_days = 180', 'log_retention_days = 90'))).toMatchObject({
      ok: false,
      termsMatch: false,
    });
    const md = renderMarkdown(v);
    expect(md).toContain(`**Digest (SHA-256):** \`${p.digest}\``);
    expect(md).toMatch(/\| LOG-01 \| .* \| {2}\| {2}\| X \|/); // responsibility matrix: LOG-01 is shared by default
    expect(md).toContain(cust.org.name);
    const html = renderHtml(v);
    expect(html).not.toContain('<b>&</b>'); // titles are escaped
    expect(html).toContain('Export &lt;b&gt;&amp;&lt;/b&gt; test');
  });

  it('refuses an agreement for a customer the MSP does not serve (404), and customers cannot draft new ones', async () => {
    const { m, c } = await world();
    const other = await createCustomer(rt, null);
    await expectCode(
      rt.services.agreements.create(m, {
        customerOrgId: other.org.id,
        title: 'Nope',
        controls: SAMPLE_CONTROLS,
      }),
      'not_found',
    );
    await expectCode(
      rt.services.agreements.create(c, {
        customerOrgId: other.org.id,
        title: 'Nope',
        controls: SAMPLE_CONTROLS,
      }),
      'forbidden',
    );
  });
});
