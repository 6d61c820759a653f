/**
 * End-to-end tests of `accord supplier`: the CLI runs as a subprocess on a store of its own (an
 * embedded data directory and, when DATABASE_URL is set, PostgreSQL through --database-url),
 * importing the documented sample register and a file with bad rows, reviewing and ranking.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(repoRoot, 'packages/server/bin/accord.mjs');
const SAMPLE = path.join(repoRoot, 'docs/samples/suppliers.csv');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-suppliers-e2e-'));
const SLOW = 900_000; // ten CLI runs, each opening the store: slow on a loaded machine

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && !k.startsWith('ACCORD_')),
  );
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, ...out })));
  });
}

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const stores = [
  { name: 'embedded', args: (dir: string) => ['--data-dir', dir] },
  ...(process.env.DATABASE_URL
    ? [
        {
          name: 'postgres',
          args: (dir: string) => ['--data-dir', dir, '--database-url', process.env.DATABASE_URL!],
        },
      ]
    : []),
];

describe.each(stores)('accord supplier ($name)', (store) => {
  test(
    'imports a register (bad rows named by line, good ones kept), lists, reviews and ranks it',
    async () => {
      const dir = path.join(root, store.name);
      const s = store.args(dir);
      const org = await run([
        'org',
        'create',
        '--name',
        `Supply ${store.name} ${process.pid}`,
        '--kind',
        'customer',
        ...s,
      ]);
      expect(org.code, org.stderr).toBe(0);
      const tenant = JSON.parse(org.stdout).id as string;

      const sample = await run(['supplier', 'import', SAMPLE, '--tenant', tenant, ...s]);
      expect(sample.code, sample.stderr).toBe(0);
      const imported = JSON.parse(sample.stdout);
      expect(imported.rejected).toEqual([]);
      expect(imported.added.map((x: { name: string }) => x.name).sort()).toEqual([
        'AnyDesk Software GmbH',
        'Contoso Payroll',
        'Fabrikam Backup',
        'Northwind Managed Services',
      ]);

      const bad = path.join(root, `bad-${store.name}.csv`);
      fs.writeFileSync(
        bad,
        [
          'name,kind,criticality,privileged_access,contract_start,contract_end',
          'Good Vendor,supplier,low,no,2025-01-01,2026-01-01',
          'Backwards Vendor,supplier,high,no,2026-06-01,2026-01-01',
          'Unsure Vendor,supplier,high,maybe,,',
          'Contoso Payroll,supplier,low,no,,',
          'No Level Vendor,supplier,,no,,',
        ].join('\n') + '\n',
      );
      const partial = await run(['supplier', 'import', bad, '--tenant', tenant, ...s]);
      expect(partial.code, partial.stderr).toBe(0);
      const p = JSON.parse(partial.stdout);
      expect(p.added.map((x: { name: string }) => x.name)).toEqual(['Good Vendor']);
      expect(p.rejected).toEqual([
        {
          line: 3,
          name: 'Backwards Vendor',
          reason: expect.stringMatching(/^contractEnd: the contract cannot end before it starts/),
        },
        { line: 4, name: 'Unsure Vendor', reason: expect.stringMatching(/^privilegedAccess: /) },
        {
          line: 5,
          name: 'Contoso Payroll',
          reason: 'the register already has a supplier named "Contoso Payroll"',
        },
        { line: 6, name: 'No Level Vendor', reason: expect.stringMatching(/^criticality: /) },
      ]);

      const unknownColumn = path.join(root, `columns-${store.name}.csv`);
      fs.writeFileSync(unknownColumn, 'name,tier\nX,gold\n');
      const refused = await run(['supplier', 'import', unknownColumn, '--tenant', tenant, ...s]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/line 1: unknown column\(s\) tier/);

      const add = await run([
        'supplier',
        'add',
        '--tenant',
        tenant,
        '--name',
        'Late Contract',
        '--criticality',
        'low',
        '--contract-start',
        '2026-05-01',
        '--contract-end',
        '2026-04-01',
        ...s,
      ]);
      expect(add.code).toBe(2);
      expect(add.stderr).toMatch(/contractEnd: the contract cannot end before it starts/);

      const list = await run(['supplier', 'list', '--tenant', tenant, ...s]);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout.trim().split('\n')).toHaveLength(5);
      expect(list.stdout).toMatch(/\tcritical\tmsp\t-\tactive\tNorthwind Managed Services\n/);

      const review = await run(['supplier', 'review', '--tenant', tenant, '--note', 'annual', ...s]);
      expect(review.code, review.stderr).toBe(0);
      expect(JSON.parse(review.stdout).counts).toMatchObject({ active: 5, critical: 2 });

      const rank = await run(['supplier', 'rank', '--tenant', tenant, '--json', ...s]);
      expect(rank.code, rank.stderr).toBe(0);
      const ranked = JSON.parse(rank.stdout) as { supplier: string; priority: number; basis: string }[];
      // Nothing assessed yet: the worst score is assumed, so criticality decides.
      expect(ranked.map((r) => [r.supplier, r.priority])).toEqual([
        ['Contoso Payroll', 100],
        ['Northwind Managed Services', 100],
        ['Fabrikam Backup', 75],
        ['AnyDesk Software GmbH', 50],
        ['Good Vendor', 25],
      ]);
      expect(new Set(ranked.map((r) => r.basis))).toEqual(new Set(['unassessed']));

      const q = await run(['supplier', 'questionnaire']);
      expect(q.code, q.stderr).toBe(0);
      expect(q.stdout).toMatch(/^SCR-01\t/m);
      const wrongTenant = await run(['supplier', 'list', '--tenant', 'acme', ...s]);
      expect(wrongTenant.code).toBe(2);
    },
    SLOW,
  );
});
