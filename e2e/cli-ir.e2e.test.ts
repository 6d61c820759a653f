/**
 * End-to-end tests of `accord ir` and `accord incident`: the CLI runs as a subprocess on an embedded
 * data directory that this process seeded (a customer with an approved plan and an alert), then
 * closed, as an operator would run it on the server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../packages/server/src/platform/config.ts';
import { createLogger } from '../packages/server/src/platform/logger.ts';
import { openRuntime } from '../packages/server/src/server.ts';
import { recordDetections } from '../packages/server/src/modules/detection/alerts.repo.ts';
import { irWorld } from '../packages/server/test/support/ir.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(repoRoot, 'packages/server/bin/accord.mjs');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-ir-e2e-'));
const dir = path.join(root, 'data');
// Every store command opens the embedded database (seconds each on a busy machine).
const SLOW = 420_000;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && !k.startsWith('ACCORD_')),
  );
  const child = spawn(process.execPath, [CLI, ...args, '--data-dir', dir], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, ...out })));
  });
}

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('accord ir and accord incident on an embedded data directory', () => {
  let orgId: string;
  let planId: string;
  let alertId: string;
  beforeAll(async () => {
    const rt = await openRuntime(
      loadConfig({}, { dataDir: dir, logLevel: 'silent' }),
      createLogger('silent'),
    );
    try {
      const w = await irWorld(rt, [{ controlId: 'LOG-09', parameters: { incident_notification_hours: 2 } }]);
      orgId = w.cust.org.id;
      planId = (
        await w.approvedPlan('incident_response', w.fullPlan('incident_response', { title: 'Plan <A&B>' }))
      ).planId;
      const at = new Date(Date.now() - 3 * 3_600_000).toISOString();
      await rt.database.db.transaction().execute((tx) =>
        recordDetections(
          tx,
          orgId,
          [
            {
              ruleId: 'rmm-new',
              ruleTitle: 'Unapproved remote-access tool',
              level: 'high',
              orgId,
              groupKey: '{"host":"ws-7"}',
              groupValues: { host: 'ws-7' },
              firstSeen: at,
              lastSeen: at,
              eventCount: 1,
              evidence: [],
              summary: 'AnyDesk on ws-7',
            },
          ],
          { notifyMinutes: 15 },
        ),
      );
      const a = await rt.database.db
        .selectFrom('alerts')
        .select('id')
        .where('org_id', '=', orgId)
        .executeTakeFirstOrThrow();
      await rt.database.db
        .updateTable('alerts')
        .set({ created_at: new Date(Date.now() - 3 * 3_600_000) })
        .where('id', '=', a.id)
        .execute();
      alertId = a.id;
    } finally {
      await rt.close();
    }
  }, SLOW);

  test(
    'lists and prints the plan, opens an incident from an alert, records a late notification and closes it',
    async () => {
      const plans = await run(['ir', 'plans', '--tenant', orgId]);
      expect(plans.code, plans.stderr).toBe(0);
      expect(JSON.parse(plans.stdout)).toEqual([expect.objectContaining({ id: planId, approvedVersion: 1 })]);

      const file = path.join(root, 'plan.html');
      const html = await run([
        'ir',
        'plan-export',
        '--tenant',
        orgId,
        '--plan',
        planId,
        '--format',
        'html',
        '--out',
        file,
      ]);
      expect(html.code, html.stderr).toBe(0);
      expect(html.stderr).toBe(`wrote version 1 of plan ${planId} to ${file}\n`);
      const text = fs.readFileSync(file, 'utf8');
      expect(text).toContain('Plan &lt;A&amp;B&gt;');
      expect(text).toContain('@media print');
      const bad = await run(['incident', 'open', '--tenant', orgId, '--title', 'x', '--severity', 'extreme']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^accord: severity: Invalid enum value/);

      const opened = await run([
        'incident',
        'open',
        '--tenant',
        orgId,
        '--title',
        'AnyDesk on ws-7',
        '--severity',
        'high',
        '--alerts',
        alertId,
        '--systems',
        'ws-7',
        '--playbook',
        'rogue_remote_access_tool',
      ]);
      expect(opened.code, opened.stderr).toBe(0);
      const inc = JSON.parse(opened.stdout);
      expect(inc).toMatchObject({ status: 'open', affectedSystems: ['ws-7'], declaredBy: 'system (cli)' });
      expect(inc.alerts).toEqual([expect.objectContaining({ alertId })]);
      expect(inc.deadlines[0]).toMatchObject({ source: 'agreement', hours: 2, status: 'missed' });

      const early = new Date(Date.parse(inc.detectedAt) - 60_000).toISOString();
      const refused = await run([
        'incident',
        'notify',
        inc.id,
        '--tenant',
        orgId,
        '--recipient',
        'customer',
        '--at',
        early,
        '--channel',
        'phone',
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /^accord: bad_request: notifiedAt .* is before the incident was detected/,
      );
      const notified = await run([
        'incident',
        'notify',
        inc.id,
        '--tenant',
        orgId,
        '--recipient',
        'customer',
        '--at',
        new Date().toISOString(),
        '--channel',
        'phone to the IT lead',
      ]);
      expect(notified.code, notified.stderr).toBe(0);
      expect(JSON.parse(notified.stdout).deadlines[0]).toMatchObject({ status: 'late' });

      const closed = await run([
        'incident',
        'close',
        inc.id,
        '--tenant',
        orgId,
        '--root-cause',
        'Technician installed it',
        '--lessons',
        'Approve tools first',
      ]);
      expect(closed.code, closed.stderr).toBe(0);
      const shown = await run(['incident', 'show', inc.id, '--tenant', orgId]);
      expect(JSON.parse(shown.stdout).timeline.map((t: { kind: string }) => t.kind)).toEqual([
        'opened',
        'alert_linked',
        'playbook',
        'notification',
        'closed',
      ]);
    },
    SLOW,
  );
});
