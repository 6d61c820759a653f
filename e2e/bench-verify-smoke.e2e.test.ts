import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * A smoke run of `bench:verify` (20 customers), so it cannot rot: seeding, the full evaluation of
 * every registered check, the second run that finds nothing due and the portfolio reads in-process
 * and over HTTP must all work. The bench itself fails when a count is off; the figures of so small
 * a run mean nothing and are not checked.
 */
describe('bench:verify (smoke)', () => {
  it('evaluates every checked control once, finds nothing due after, and reads the portfolio', () => {
    const r = spawnSync('npm', ['run', '-s', 'bench:verify', '--', '--smoke'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, ACCORD_LOG_LEVEL: 'warn' },
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\[pglite\][\s\S]*full evaluation: [1-9]\d* controls \(\d+ checks x 20\)/);
    expect(r.stdout).toMatch(/second run:\s+0 due/);
    expect(r.stdout).toMatch(/portfolio \(10 reads\) HTTP:\s+p50/);
    expect(r.stdout).toMatch(/\| pglite \| 20 \|/);
    expect(r.stdout).not.toContain('FAILED');
  }, 300_000);
});
