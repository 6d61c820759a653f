/**
 * `accord report generate` against a real server and `accord report verify` on what it wrote:
 * verified against the server's published key, refused after one byte is changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../packages/server/test/support/harness.ts';
import {
  activeAgreement,
  createCustomer,
  createMsp,
  ctxFor,
} from '../packages/server/test/support/factories.ts';
import { expectExit, runCli } from './support/run-cli.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-report-e2e-'));
const run = (args: string[]) => runCli(args, root);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const [target] = dbTargets();

describe(`accord report generate and verify (${target!.name})`, () => {
  let srv: TestServer;
  let agreementId: string;
  let token: string;
  beforeAll(async () => {
    srv = await startTestServer(target!);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    agreementId = (
      await activeAgreement(srv.rt, m, ctxFor(cust.admin, 'customer'), {
        customerOrgId: cust.org.id,
        title: 'CLI report',
        controls: [{ controlId: 'LOG-01' }],
      })
    ).agreement_id;
    token = (
      await srv.rt.services.tokens.create(m, {
        name: 'report cli',
        scopes: ['agreements:read', 'alerts:read', 'logs:read'],
        expiresInDays: 1,
      })
    ).token;
  }, 180_000);
  afterAll(() => srv?.stop());

  test('a generated PDF verifies against the server key; one changed byte fails with exit 1', async () => {
    const out = path.join(root, 'report.pdf');
    const gen = await run([
      'report',
      'generate',
      '--url',
      srv.url,
      '--api-token',
      token,
      '--agreement',
      agreementId,
      '--out',
      out,
    ]);
    expectExit(gen, 0);
    expect(fs.readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');

    const ok = await run(['report', 'verify', out, '--url', srv.url, '--api-token', token]);
    expectExit(ok, 0);
    expect(ok.stdout).toContain('signature verified');
    expect(ok.stdout).toContain('the signing key is the trusted key');

    const bytes = fs.readFileSync(out);
    bytes[300] = bytes[300]! ^ 0x20;
    const bad = path.join(root, 'tampered.pdf');
    fs.writeFileSync(bad, bytes);
    const refused = await run(['report', 'verify', bad]);
    expectExit(refused, 1);
    expect(refused.stderr).toContain('NOT VERIFIED: the content was changed after signing');
  });
});
