import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * A smoke run of each benchmark, so the benchmarks cannot rot: every scenario must run end to end
 * without a failed request. The figures of so short a run mean nothing and are not checked.
 */
describe('benchmarks (smoke)', () => {
  it('bench:api runs every scenario with no failed request', () => {
    const r = spawnSync('npm', ['run', '-s', 'bench:api', '--', '--smoke'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, ACCORD_LOG_LEVEL: 'warn' },
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    for (const scenario of ['agreement read, session cookie', 'agreement read, API token', 'sign-in']) {
      expect(r.stdout).toContain(scenario);
    }
    expect(r.stdout).toMatch(/pglite\s+a\) agreement read/);
  }, 300_000);
});
