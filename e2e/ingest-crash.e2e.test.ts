import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../packages/server/src/platform/config.ts';
import { createLogger } from '../packages/server/src/platform/logger.ts';
import { openRuntime } from '../packages/server/src/server.ts';
import { systemContext } from '../packages/server/src/platform/context.ts';
import { verifyStoredLogs } from '../packages/server/src/modules/telemetry/logs.service.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(root, 'packages/server/bin/accord.mjs');

/**
 * Kill -9 the server while senders are ingesting: every batch the server acknowledged must be in
 * the store afterwards, complete, with the seal chain intact.
 */
const targets = [{ name: 'embedded', databaseUrl: undefined as string | undefined }];
if (process.env.DATABASE_URL) targets.push({ name: 'postgres', databaseUrl: process.env.DATABASE_URL });

describe.each(targets)('a killed server loses no acknowledged event ($name)', ({ databaseUrl }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-crash-'));
  const secretKey = randomBytes(32).toString('hex');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const runtime = () => {
    const config = loadConfig(
      {},
      { dataDir: dir, secretKey, logLevel: 'silent', ...(databaseUrl ? { databaseUrl } : {}) },
    );
    return openRuntime(config, createLogger('silent'));
  };

  it('keeps every acknowledged batch after SIGKILL mid-ingest', async () => {
    // Prepare a tenant and a source, then let the server process have the store.
    let rt = await runtime();
    const org = await rt.services.orgs.create(systemContext(), {
      name: `Crash test ${Date.now()}`,
      kind: 'customer',
    });
    const source = await rt.services.sources.create(systemContext(), org.id, {
      kind: 'linux_syslog',
      name: 'crash',
      expectedIntervalMinutes: 5,
    });
    await rt.close();

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ACCORD_SECRET_KEY: secretKey,
      ACCORD_LOG_LEVEL: 'warn',
      ACCORD_INGEST_RATE_PER_SOURCE: '100000',
    };
    delete env.DATABASE_URL;
    const args = [
      BIN,
      'serve',
      '--data-dir',
      dir,
      '--port',
      '0',
      ...(databaseUrl ? ['--database-url', databaseUrl] : []),
    ];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /running at (http:\/\/[^\s]+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`server exited early (${code}): ${out}`)));
    });

    const acknowledged: { batchId: string; accepted: number }[] = [];
    let stop = false;
    const sender = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const t = new Date().toISOString();
        const body = Array.from(
          { length: 200 },
          (_, k) =>
            `${t} host sshd[${n}]: Failed password for user${k} from 203.0.113.${k % 250} port ${1000 + i} ssh2`,
        ).join('\n');
        try {
          const res = await fetch(`${url}/api/v1/ingest`, {
            method: 'POST',
            headers: { authorization: `Bearer ${source.ingestToken}`, 'content-type': 'text/plain' },
            body,
          });
          if (res.status === 200) {
            const r = (await res.json()) as { batchId: string; accepted: number };
            acknowledged.push({ batchId: r.batchId, accepted: r.accepted });
          }
        } catch {
          return; // the server is gone
        }
      }
    };
    const senders = [1, 2, 3].map(sender);
    while (acknowledged.length < 15) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    stop = true;
    await Promise.all(senders);
    expect(acknowledged.length).toBeGreaterThanOrEqual(15);

    rt = await runtime(); // takes over the dead process's lock
    try {
      const counts = await rt.database.db
        .selectFrom('events')
        .select(['batch_id', (eb) => eb.fn.countAll<string>().as('n')])
        .where('org_id', '=', org.id)
        .groupBy('batch_id')
        .execute();
      const byBatch = new Map(counts.map((c) => [c.batch_id, Number(c.n)]));
      const lost = acknowledged.filter((a) => byBatch.get(a.batchId) !== a.accepted);
      expect(lost).toEqual([]);
      expect(await verifyStoredLogs(rt.database.db, org.id)).toMatchObject({ ok: true });
    } finally {
      await rt.close();
    }
  }, 180_000);
});
