import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, createMsp, ctxFor, activeAgreement } from '../../../test/support/factories.ts';
import type { Runtime } from '../../server.ts';

describe.each(dbTargets())('attested controls in verification ($name)', (target) => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await openTestRuntime(target);
  });
  afterAll(() => rt.close());

  it('is unknown until attested and reviewed, passes when accepted, fails when disputed, and is re-evaluated at once', async () => {
    const msp = await createMsp(rt);
    const cust = await createCustomer(rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    const c = ctxFor(cust.admin, 'customer');
    const d = await activeAgreement(rt, m, c, {
      customerOrgId: cust.org.id,
      title: 'Attested schedule',
      controls: [{ controlId: 'IRP-05', owner: 'msp' }],
    });
    const only = { agreementIds: [d.agreement_id] };
    const v = rt.services.verification;
    const irp = async () => (await v.status(c, d.agreement_id)).find((x) => x.controlId === 'IRP-05')!;

    expect((await v.runDue(new Date(), only)).evaluated).toBe(1);
    expect(await irp()).toMatchObject({ status: 'unknown', reason: 'no attestation yet' });

    const e = await rt.services.evidence.add(m, d.agreement_id, 'IRP-05', {
      effectiveAt: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
      file: { filename: 'ir-plan.txt', contentType: 'text/plain', bytes: Buffer.from('IR plan v3') },
    });
    const first = await rt.services.attestations.attest(m, d.agreement_id, 'IRP-05', {
      statement: 'The plan names every role and a hard copy is kept',
      evidenceIds: [e.item.id],
    });
    // A new attestation makes the control due at once, whatever its cadence.
    expect((await v.runDue(new Date(), only)).evaluated).toBe(1);
    expect((await irp()).reason).toBe("attested by the msp; awaiting the other party's review");
    await rt.services.attestations.review(c, d.agreement_id, 'IRP-05', first.current!.id, 'accepted', null);
    await v.runDue(new Date(), only);
    expect(await irp()).toMatchObject({ status: 'pass', observed: { attestation: 'accepted' } });

    const second = await rt.services.attestations.attest(m, d.agreement_id, 'IRP-05', {
      statement: 'Updated after the exercise',
      evidenceIds: [e.item.id],
    });
    await rt.services.attestations.review(
      c,
      d.agreement_id,
      'IRP-05',
      second.current!.id,
      'disputed',
      'the procurement role is missing',
    );
    expect((await v.runDue(new Date(), only)).drifts).toBe(1);
    const disputed = await irp();
    expect(disputed.status).toBe('fail');
    expect(disputed.reason).toContain('the procurement role is missing');
    expect(disputed.evidence).toEqual([
      expect.objectContaining({ type: 'evidence', id: second.current!.id }),
    ]);
  });
});
