import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureBuilt } from '../packages/web/scripts/ensure-built.mjs';
import { dbTargets, startTestServer, type TestServer } from '../packages/server/test/support/harness.ts';
import { addUser } from '../packages/server/test/support/factories.ts';
import { seedDemo, type DemoUser } from '../packages/server/src/modules/demo/demo-seed.ts';
import { stepAt, totpCode } from '../packages/server/src/modules/auth/totp.ts';
import { WEB_CSP } from '../packages/server/src/platform/http/web-app.ts';
import { initialJsGzipBytes, launchBrowser, newSignedIn, watchPage, type Person } from './support/browser.ts';
import { checkA11y, shoot } from './support/screens.ts';

/**
 * The web application in Debian's Chromium against a real Accord server (embedded database) with
 * the demo data: sign-in with TOTP and enrolment, the agreement's life from draft to active,
 * evidence upload, alert triage, tenant isolation by URL, and every main screen checked with
 * axe-core and photographed at 1440 and 390 px (e2e/screenshots/, not committed).
 */
const DIST = path.resolve(import.meta.dirname, '../packages/web/dist');

describe('web application in Chromium', () => {
  let srv: TestServer;
  let browser: Browser;
  let dataDir: string;
  let people: (DemoUser & Person)[];
  const open: BrowserContext[] = [];
  let ids: {
    tailspin: string;
    contoso: string;
    tailspinAgreement: string;
    contosoAgreement: string;
    msp: string;
  };
  const person = (email: string) => people.find((p) => p.email === email)!;

  beforeAll(async () => {
    await ensureBuilt({ quiet: true });
    // The demo's week of logs makes closing the embedded store slow: a longer grace than the
    // default 10 s keeps the server from exiting the test process while it closes.
    srv = await startTestServer(dbTargets()[0]!, { shutdownGraceSeconds: 300 });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-web-e2e-'));
    srv.rt.config.dataDir = dataDir;
    people = (await seedDemo(srv.rt)).users.map((u) => ({ ...u, lastStep: 0 }));
    const agreements = await srv.rt.database.db
      .selectFrom('agreements')
      .select(['id', 'title', 'customer_org_id', 'msp_org_id'])
      .execute();
    const byTitle = (p: string) => agreements.find((a) => a.title.startsWith(p))!;
    ids = {
      tailspin: byTitle('Tailspin').customer_org_id,
      contoso: byTitle('Contoso').customer_org_id,
      tailspinAgreement: byTitle('Tailspin').id,
      contosoAgreement: byTitle('Contoso').id,
      msp: byTitle('Tailspin').msp_org_id,
    };
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    await browser?.close();
    await srv?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function as(email: string, viewport = { width: 1440, height: 900 }) {
    const s = await newSignedIn(browser, srv.url, person(email), viewport);
    open.push(s.context);
    return s;
  }

  it('initial JavaScript is under 400 KB gzipped', async () => {
    const { files, bytes } = await initialJsGzipBytes(DIST);
    console.log(`initial JavaScript: ${files.join(', ')} = ${(bytes / 1024).toFixed(1)} KB gzipped`);
    expect(files.length).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(400 * 1024);
  });

  it('serves the application on every non-API path with a strict CSP; API and asset misses stay 404', async () => {
    const home = await fetch(`${srv.url}/orgs/x/alerts?y=1`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toBe(WEB_CSP);
    expect(home.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(home.headers.get('cache-control')).toBe('no-cache');
    const html = await home.text();
    expect(html).toContain('<div id="root">');
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(srv.url + asset);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('content-type')).toContain('javascript');
    const api = await fetch(`${srv.url}/api/v1/no-such-thing`);
    expect(api.status).toBe(404);
    expect((await api.json()).error.code).toBe('not_found');
    expect((await fetch(`${srv.url}/assets/gone-1234.js`)).status).toBe(404);
  });

  it('signs in with password and TOTP; a wrong code is refused with a message; signs out', async () => {
    const context = await browser.newContext();
    open.push(context);
    const page = await context.newPage();
    const problems = watchPage(page);
    const alex = person('alex.admin@northwind.example');
    await page.goto(`${srv.url}/agreements`);
    await page.getByLabel('E-mail').fill(alex.email);
    await page.getByLabel('Password').fill(alex.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Authentication code').fill('000000');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/code/i);
    await page.getByLabel('Authentication code').fill(totpCodeFor(alex));
    await page.getByRole('button', { name: 'Continue' }).click();
    // Back where the user was going, with the organisation switcher showing the MSP.
    await page.getByRole('heading', { name: 'Agreements' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/agreements');
    expect(await page.getByLabel('Organisation').inputValue()).toBe(ids.msp);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const again = await page.evaluate("fetch('/api/v1/auth/session').then(r => r.status)");
    expect(again).toBe(401);
    expect(problems).toEqual([]);
  });

  it('enrols MFA with a QR code drawn in the page and shows the recovery codes once', async () => {
    const user = await addUser(srv.rt, ids.msp, 'msp_engineer', { enrollMfa: false });
    const context = await browser.newContext();
    open.push(context);
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto(`${srv.url}/portfolio`);
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    const qr = page.getByRole('img', { name: /QR code/ });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await page.getByText("Can't scan?").click();
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    await page.getByLabel('Code from your app').fill(totpCode(secret, stepAt(Date.now())));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    expect(await page.getByRole('list', { name: 'Recovery codes' }).locator('li').count()).toBe(10);
    await page.getByRole('button', { name: /continue/ }).click();
    await page.getByRole('heading', { name: 'Portfolio' }).waitFor();
    expect(problems).toEqual([]);
  });

  it('an expired session sends the user to sign in with a message, then back to the page', async () => {
    const ari = person('ari.auditor@insurer.example');
    const { page, problems } = await as(ari.email);
    // A page whose reads are all done (the portfolio reads more after it is drawn).
    await page.goto(`${srv.url}/agreements`);
    await page.getByRole('heading', { name: 'Agreements' }).waitFor();
    await page.locator('table').waitFor();
    await page.waitForLoadState('networkidle');
    const user = await srv.rt.database.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', ari.email)
      .executeTakeFirstOrThrow();
    await srv.rt.database.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 24 * 3600_000).toISOString() })
      .where('user_id', '=', user.id)
      .execute();
    await page.getByRole('link', { name: 'Audit trail' }).first().click();
    await page.getByText('Your session expired').waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/orgs/${ids.msp}/audit`);
    await page.getByLabel('E-mail').fill(ari.email);
    await page.getByLabel('Password').fill(ari.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    expect(problems).toEqual([]);
  });

  it('the MSP drafts and proposes an agreement, the customer compares and accepts it, and it becomes active', async () => {
    const msp = await as('alex.admin@northwind.example');
    const page = msp.page;
    // Edit Contoso's draft: a retention under the catalog's floor is refused in the form.
    await page.goto(`${srv.url}/agreements/${ids.contosoAgreement}`);
    await page.getByRole('link', { name: 'Edit draft' }).click();
    const retention = page.getByLabel(/^log_retention_days/);
    await retention.fill('90');
    await page
      .getByText(/must be at least 180/)
      .first()
      .waitFor();
    expect(await page.getByRole('button', { name: 'Save draft' }).isDisabled()).toBe(true);
    await retention.fill('400');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('button', { name: 'Propose to the other party' }).click();
    await page.getByRole('heading', { name: /Version 1 · proposed/ }).waitFor();
    await page.getByRole('button', { name: 'Review and accept' }).click();
    const digest = (await page.getByTestId('accept-digest').textContent())!.trim();
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    await page.getByRole('button', { name: 'Accept this digest' }).click();
    await page.getByText(/Accepted by msp/).waitFor();

    // The customer sees what it is asked to accept and accepts that digest.
    const cust = await as('it.admin@contoso.example');
    await cust.page.goto(`${srv.url}/agreements/${ids.contosoAgreement}`);
    await cust.page.getByRole('button', { name: 'Review and accept' }).click();
    expect((await cust.page.getByTestId('accept-digest').textContent())!.trim()).toBe(digest);
    await cust.page.getByRole('button', { name: 'Accept this digest' }).click();
    await cust.page.getByTestId('agreement-status').filter({ hasText: 'Active' }).waitFor();

    // An amendment: the MSP raises retention again and proposes; the customer compares and accepts.
    await page.reload();
    await page.getByRole('button', { name: 'Start an amendment' }).click();
    await page.getByRole('link', { name: 'Edit draft' }).click();
    await page.getByLabel(/^log_retention_days/).fill('730');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('button', { name: 'Propose to the other party' }).click();
    await page.getByRole('button', { name: 'Review and accept' }).click();
    await page.getByRole('button', { name: 'Accept this digest' }).click();
    await page.getByText(/Accepted by msp/).waitFor();

    await cust.page.reload();
    await cust.page.getByRole('link', { name: 'Compare with version 1' }).click();
    const summary = cust.page.getByTestId('diff-summary');
    await summary.waitFor();
    expect(await summary.textContent()).toMatch(/1 controls differ: 0 added, 0 removed, 1 changed/);
    const row = cust.page.getByRole('row', { name: /LOG-01/ });
    expect(await row.textContent()).toContain('log_retention_days: 400');
    expect(await row.textContent()).toContain('log_retention_days: 730');
    await cust.page.getByRole('link', { name: 'Back to the agreement' }).click();
    await cust.page.getByRole('button', { name: 'Review and accept' }).click();
    await cust.page.getByRole('button', { name: 'Accept this digest' }).click();
    await cust.page
      .getByTestId('agreement-status')
      .filter({ hasText: /^Active$/ })
      .waitFor();

    const { db } = srv.rt.database;
    const versions = await db
      .selectFrom('agreement_versions')
      .select(['version', 'state'])
      .where('agreement_id', '=', ids.contosoAgreement)
      .orderBy('version')
      .execute();
    expect(versions.map((v) => `${v.version}:${v.state}`)).toEqual(['1:superseded', '2:active']);
    expect([...msp.problems, ...cust.problems]).toEqual([]);
  }, 120_000);

  it('uploads evidence by file with progress; the stored file has the same SHA-256', async () => {
    const { page, problems } = await as('erin.engineer@northwind.example');
    await page.goto(`${srv.url}/agreements/${ids.tailspinAgreement}/controls/LOG-01`);
    await page.getByRole('heading', { name: 'Evidence' }).waitFor();
    const bytes = Buffer.from(`retention report ${Date.now()}\n`.repeat(2000));
    await page
      .locator('#ev-file')
      .setInputFiles({ name: 'retention-report.txt', mimeType: 'text/plain', buffer: bytes });
    await page.getByTestId('evidence-list').getByText('retention-report.txt').first().waitFor();
    const listed = await page.evaluate(
      `fetch('/api/v1/agreements/${ids.tailspinAgreement}/controls/LOG-01/evidence').then(r => r.json())`,
    );
    const item = (listed as { latest: { file: { filename: string; sha256: string } | null } }[]).find(
      (e) => e.latest.file?.filename === 'retention-report.txt',
    )!;
    expect(item.latest.file!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(problems).toEqual([]);
  });

  it('triages an alert: acknowledge, then false positive only with a reason, kept in its history', async () => {
    const { page, problems } = await as('erin.engineer@northwind.example');
    await page.goto(`${srv.url}/orgs/${ids.tailspin}/alerts`);
    const first = page.getByTestId('alerts-table').getByRole('link').first();
    const title = (await first.textContent())!;
    await first.click();
    await page.getByRole('heading', { name: title }).waitFor();
    await page.getByRole('heading', { name: 'Evidence events' }).waitFor();
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByTestId('alert-status').filter({ hasText: 'acknowledged' }).waitFor();
    await page.getByRole('button', { name: 'False positive' }).click();
    await page.getByText('say why this is a false positive').waitFor();
    await page.getByLabel('Reason').fill('Scheduled penetration test from the MSP lab');
    await page.getByRole('button', { name: 'False positive' }).click();
    await page.getByTestId('alert-status').filter({ hasText: 'false positive' }).waitFor();
    await page
      .getByText(/Scheduled penetration test from the MSP lab/)
      .first()
      .waitFor();
    expect(problems).toEqual([]);
  });

  it("a customer user cannot reach another customer's pages by URL: the not-found page, no data", async () => {
    const { page, problems } = await as('it.admin@contoso.example');
    for (const p of [
      `/orgs/${ids.tailspin}/home`,
      `/orgs/${ids.tailspin}/alerts`,
      `/orgs/${ids.tailspin}/logs`,
      `/orgs/${ids.tailspin}/audit`,
      `/agreements/${ids.tailspinAgreement}`,
      `/agreements/${ids.tailspinAgreement}/controls/LOG-01`,
      `/agreements/${ids.tailspinAgreement}/compare?a=1&b=2`,
    ]) {
      await page.goto(srv.url + p);
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
      expect(await page.textContent('body'), p).not.toContain('Tailspin');
    }
    expect(problems).toEqual([]);
  });

  it('every main screen has no serious or critical axe violations, at 1440 and 390 px (screenshots saved)', async () => {
    const screens = (o: { tailspin: string; agreement: string; alert: string }) => ({
      portfolio: '/portfolio',
      agreements: '/agreements',
      'agreement-new': '/agreements/new',
      agreement: `/agreements/${o.agreement}`,
      compare: `/agreements/${o.agreement}/compare?a=1&b=2`,
      control: `/agreements/${o.agreement}/controls/LOG-01`,
      'customer-home': `/orgs/${o.tailspin}/home`,
      alerts: `/orgs/${o.tailspin}/alerts?status=`,
      alert: `/orgs/${o.tailspin}/alerts/${o.alert}`,
      rules: `/orgs/${o.tailspin}/rules`,
      logs: `/orgs/${o.tailspin}/logs`,
      sources: `/orgs/${o.tailspin}/sources`,
      audit: `/orgs/${o.tailspin}/audit`,
      settings: `/orgs/${ids.msp}/settings`,
    });
    const alert = await srv.rt.database.db
      .selectFrom('alerts')
      .select('id')
      .where('org_id', '=', ids.tailspin)
      .executeTakeFirstOrThrow();
    const alertId = alert.id;
    const violations: string[] = [];
    // Each screen is loaded once at 1440 px (axe runs there), then narrowed to 390 px and shot again.
    const visit = async (page: Page, name: string, url: string) => {
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto(srv.url + url);
      await page.locator('main h1').first().waitFor();
      // Every section has finished loading (the page's CSP forbids waitForFunction's eval).
      const until = Date.now() + 20_000;
      while ((await page.locator('.state.loading').count()) > 0 && Date.now() < until)
        await page.waitForTimeout(100);
      await shoot(page, `${name}-1440`);
      for (const v of await checkA11y(page)) violations.push(`${name}@1440: ${v}`);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(150); // charts redraw on resize
      await shoot(page, `${name}-390`);
      if (name === 'portfolio' || name === 'customer-own-home')
        for (const v of await checkA11y(page)) violations.push(`${name}@390: ${v}`);
    };
    const msp = await as('alex.admin@northwind.example');
    for (const [name, url] of Object.entries(
      screens({ tailspin: ids.tailspin, agreement: ids.tailspinAgreement, alert: alertId }),
    )) {
      await visit(msp.page, name, url);
    }
    const cust = await as('it.admin@tailspin.example');
    await visit(cust.page, 'customer-own-home', `/orgs/${ids.tailspin}/home`);
    await visit(cust.page, 'customer-settings', `/orgs/${ids.tailspin}/settings`);
    const anon = await browser.newContext();
    open.push(anon);
    const signInPage = await anon.newPage();
    await visit(signInPage, 'sign-in', '/sign-in');
    expect([...msp.problems, ...cust.problems]).toEqual([]);
    expect(violations).toEqual([]);
  }, 170_000);

  function totpCodeFor(p: Person) {
    // The sign-in page test enters the code by hand: the next unused step, as codeFor does.
    const now = stepAt(Date.now());
    const step = Math.max(now, (p.lastStep ?? 0) + 1);
    p.lastStep = step;
    return totpCode(p.totpSecret!, step);
  }
});
