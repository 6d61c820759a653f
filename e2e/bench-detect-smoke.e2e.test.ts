import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * A smoke run of bench:detect, so that the benchmark cannot rot: the generated log goes through
 * Accord in process and, when PostgreSQL answers, through the full path; the peers run only where
 * they are installed, and the output says so where they are not. The figures of so short a run mean
 * nothing; what is checked is that every step ran and that its report holds together.
 */
describe('bench:detect (smoke)', () => {
  it('runs Accord over the generated log, reports every tool it has, and skips missing peers by name', () => {
    const r = spawnSync('npm', ['run', '-s', 'bench:detect', '--', '--smoke', '--profile', 'never'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 150_000,
      env: { ...process.env, ACCORD_LOG_LEVEL: 'warn' },
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/Accord \(a\) parse \+ normalise \+ detect\s+\|\s+[\d,]+ \|/);
    for (const kind of [
      'brute force',
      'fast spray',
      'slow spray',
      'distributed spray',
      'success after failures',
    ])
      expect(out).toContain(kind);
    expect(out).toMatch(/\[(met|MISSED)\] Accord \(a\) parse \+ normalise \+ detect >= 373,000 lines\/s/);

    // Each peer either has its rows or is named as skipped.
    const labels = {
      fail2ban: 'fail2ban-regex',
      sshguard: 'sshguard (sshg-parser',
      crowdsec: 'CrowdSec replay',
    };
    for (const [peer, label] of Object.entries(labels)) {
      if (!out.includes(label)) expect(out).toContain(`${peer} skipped:`);
    }

    // The JSON report: Accord found every attacker of the generated log, the distributed spraying
    // included, and flagged no benign address.
    const json = /^report: (.+\.json)$/m.exec(out)?.[1];
    expect(json).toBeTruthy();
    const report = JSON.parse(fs.readFileSync(json!, 'utf8')) as {
      results: {
        tools: {
          key: string;
          score: {
            byKind: Record<string, { found: number; total: number }>;
            benignFlagged: number;
            benignExamples: unknown[];
          };
        }[];
      };
    };
    const accord = report.results.tools.find((t) => t.key === 'accord-detect')!;
    expect(accord.score.byKind.brute_force!.total).toBeGreaterThan(0);
    for (const kind of [
      'brute_force',
      'fast_spray',
      'slow_spray',
      'distributed_spray',
      'success_after_failures',
    ])
      expect(accord.score.byKind[kind]!.found, kind).toBe(accord.score.byKind[kind]!.total);
    expect(accord.score.benignFlagged, JSON.stringify(accord.score.benignExamples)).toBe(0);
    const full = report.results.tools.find((t) => t.key === 'accord-full');
    if (full) expect(full.score).toEqual(accord.score);
    else expect(out).toContain('the full path (b) is skipped');
  }, 180_000);
});
