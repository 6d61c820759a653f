/**
 * `accord oscal export` against a real server (embedded database; PostgreSQL too when DATABASE_URL
 * is set) and `accord oscal import` on NIST's example documents and on broken ones.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbTargets, startTestServer, type TestServer } from '../packages/server/test/support/harness.ts';
import {
  activeAgreement,
  createCustomer,
  createMsp,
  ctxFor,
} from '../packages/server/test/support/factories.ts';
import { validateOscal } from '../packages/server/src/modules/oscal/oscal-schemas.ts';
import { expectExit, runCli } from './support/run-cli.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-oscal-e2e-'));
const EXAMPLES = fileURLToPath(new URL('../packages/server/oscal/examples/', import.meta.url));
const run = (args: string[]) => runCli(args, root);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe.each(dbTargets())('accord oscal export ($name)', (target) => {
  let srv: TestServer;
  let agreementId: string;
  let token: string;
  beforeAll(async () => {
    srv = await startTestServer(target);
    const msp = await createMsp(srv.rt);
    const cust = await createCustomer(srv.rt, msp.org.id);
    const m = ctxFor(msp.admin, 'msp');
    const d = await activeAgreement(srv.rt, m, ctxFor(cust.admin, 'customer'), {
      customerOrgId: cust.org.id,
      title: 'CLI OSCAL',
      controls: [{ controlId: 'LOG-01' }, { controlId: 'BCK-01' }],
    });
    agreementId = d.agreement_id;
    token = (
      await srv.rt.services.tokens.create(m, {
        name: 'oscal cli',
        scopes: ['catalog:read', 'agreements:read'],
        expiresInDays: 1,
      })
    ).token;
  }, 180_000);
  afterAll(() => srv?.stop());

  test('exports a profile to a file and results to standard output, both valid; refuses a bad call', async () => {
    const out = path.join(root, `profile-${target.name}.json`);
    const common = ['--url', srv.url, '--api-token', token, '--agreement', agreementId];
    const [prof, results, noVersion] = await Promise.all([
      run(['oscal', 'export', 'profile', ...common, '--version', '1', '--out', out]),
      run(['oscal', 'export', 'results', ...common]),
      run(['oscal', 'export', 'components', ...common]),
    ]);
    expectExit(prof, 0);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(validateOscal('profile', doc)).toEqual([]);
    expect(doc.profile.imports[0]['include-controls'][0]['with-ids']).toEqual(['bck-01', 'log-01']);
    expectExit(results, 0);
    expect(validateOscal('assessment-results', JSON.parse(results.stdout))).toEqual([]);
    expectExit(noVersion, 2);
    expect(noVersion.stderr).toContain('--version');

    // The exported profile reads back as the controls of a new agreement.
    const back = await run(['oscal', 'import', out, '--json']);
    expectExit(back, 0);
    expect(JSON.parse(back.stdout).agreementControls.map((c: { controlId: string }) => c.controlId)).toEqual([
      'BCK-01',
      'LOG-01',
    ]);
  });
});

describe('accord oscal import', () => {
  test("reads NIST's examples and names what is wrong in a broken document", async () => {
    const ok = await run(['oscal', 'import', path.join(EXAMPLES, 'ifa_plan-of-action-and-milestones.json')]);
    expectExit(ok, 0);
    expect(ok.stdout).toContain('a valid OSCAL 1.1.2 plan-of-action-and-milestones');

    const doc = JSON.parse(
      fs.readFileSync(path.join(EXAMPLES, 'ifa_assessment-results-example.json'), 'utf8'),
    );
    delete doc['assessment-results']['import-ap'];
    const broken = path.join(root, 'broken.json');
    fs.writeFileSync(broken, JSON.stringify(doc));
    const bad = await run(['oscal', 'import', broken]);
    expectExit(bad, 1);
    expect(bad.stderr).toContain('$.assessment-results: lacks the required property "import-ap"');

    fs.writeFileSync(broken, '{"catalog": ');
    const notJson = await run(['oscal', 'import', broken]);
    expectExit(notJson, 1);
    expect(notJson.stderr).toContain('not JSON');
  });
});
