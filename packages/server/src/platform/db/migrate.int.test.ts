import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openEmbedded, openPostgres } from './db.ts';
import { listMigrations, migrate } from './migrate.ts';

describe('migrations', () => {
  it('apply once on the embedded database and are idempotent', async () => {
    const db = await openEmbedded('memory://');
    try {
      const first = await migrate(db.db);
      expect(first.applied).toEqual(listMigrations().map((m) => m.name));
      expect(await migrate(db.db)).toEqual({ applied: [], alreadyApplied: listMigrations().length });
      const tables = await sql<{
        n: number;
      }>`select count(*)::int as n from information_schema.tables where table_name in ('orgs','agreements','audit_log')`.execute(
        db.db,
      );
      expect(tables.rows[0]!.n).toBe(3);
    } finally {
      await db.close();
    }
  });

  it('stop start-up when an applied migration file was changed', async () => {
    const db = await openEmbedded('memory://');
    try {
      await migrate(db.db);
      const changed = listMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'f'.repeat(64) } : m));
      await expect(migrate(db.db, changed)).rejects.toThrow(/changed after it was applied/);
    } finally {
      await db.close();
    }
  });

  it('refuse a second process on the same embedded data directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-lock-'));
    const a = await openEmbedded(dir);
    try {
      fs.writeFileSync(path.join(dir, 'accord.lock'), String(process.ppid)); // a live process other than us
      await expect(openEmbedded(dir)).rejects.toThrow(/in use by process/);
    } finally {
      await a.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(process.env.DATABASE_URL)(
    'run once when two processes start together on PostgreSQL (advisory lock)',
    async () => {
      const name = `accord_mig_${process.pid}_${Date.now()}`;
      const admin = await openPostgres(process.env.DATABASE_URL!, 1);
      await sql.raw(`create database ${name}`).execute(admin.db);
      const url = new URL(process.env.DATABASE_URL!);
      url.pathname = `/${name}`;
      const a = await openPostgres(url.toString(), 2);
      const b = await openPostgres(url.toString(), 2);
      try {
        const [ra, rb] = await Promise.all([migrate(a.db), migrate(b.db)]);
        const all = listMigrations().map((m) => m.name);
        expect([...ra.applied, ...rb.applied].sort()).toEqual(all.sort()); // each migration applied by exactly one
        const rows = await sql<{ n: number }>`select count(*)::int as n from schema_migrations`.execute(a.db);
        expect(rows.rows[0]!.n).toBe(all.length);
      } finally {
        await a.close();
        await b.close();
        await sql.raw(`drop database if exists ${name}`).execute(admin.db);
        await admin.close();
      }
    },
  );
});
