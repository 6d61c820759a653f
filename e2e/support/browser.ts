import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { totpCode, stepAt } from '../../packages/server/src/modules/auth/totp.ts';

/** Debian's Chromium (apt-get install chromium), headless, with nothing reaching out to the network. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface Person {
  email: string;
  password: string;
  totpSecret?: string | null;
  /** Last TOTP step used: a code is never sent twice. */
  lastStep?: number;
}

/**
 * The next unused TOTP code for the person (one step of drift either way is accepted). A person
 * signed in more than three times within 30 s waits for the next step rather than reuse a code.
 */
export async function codeFor(p: Person): Promise<string> {
  for (;;) {
    const now = stepAt(Date.now());
    const earliest = stepAt(Date.now() + 5_000) === now ? now - 1 : now;
    const step = Math.max(earliest, (p.lastStep ?? 0) + 1);
    if (step <= now + 1) {
      p.lastStep = step;
      return totpCode(p.totpSecret!, step);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Page errors and CSP violations seen by a page: a test fails on any. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text()))
      problems.push(`CSP: ${m.text()}`);
  });
  return problems;
}

/** Signs in through the sign-in page (password, then the TOTP code when the role has MFA). */
export async function signIn(page: Page, baseUrl: string, p: Person, path = '/'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel('E-mail').fill(p.email);
  await page.getByLabel('Password').fill(p.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (p.totpSecret) {
    await page.getByLabel('Authentication code').fill(await codeFor(p));
    await page.getByRole('button', { name: 'Continue' }).click();
  }
  // The sign-out button is in the top bar at every width (the navigation folds away on phones).
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function newSignedIn(
  browser: Browser,
  baseUrl: string,
  p: Person,
  viewport = { width: 1440, height: 900 },
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = watchPage(page);
  await signIn(page, baseUrl, p);
  return { context, page, problems };
}

/** The initial JavaScript of the built application: every script index.html loads, gzipped. */
export async function initialJsGzipBytes(distDir: string): Promise<{ files: string[]; bytes: number }> {
  const { readFileSync } = await import('node:fs');
  const { gzipSync } = await import('node:zlib');
  const { join } = await import('node:path');
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const files = [
    ...html.matchAll(/<script[^>]+src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
  ].map((m) => m[1]!);
  const bytes = files.reduce((n, f) => n + gzipSync(readFileSync(join(distDir, f))).length, 0);
  return { files, bytes };
}
