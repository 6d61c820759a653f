import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { sha256Hex } from '../crypto.ts';
import type { Db } from './db.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Constant key of the session-level advisory lock that serialises migrators across processes. */
const MIGRATION_LOCK_KEY = 7_413_000_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      return {
        version: Number(f.slice(0, 4)),
        name: f.replace(/\.sql$/, ''),
        sql: text,
        checksum: sha256Hex(text),
      };
    });
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies pending migrations, each in its own transaction, while holding a Postgres advisory lock
 * on one connection: a second process starting at the same time waits, then finds nothing to do.
 * An applied migration whose file has since changed stops start-up (its checksum differs).
 */
export async function migrate(db: Db, migrations = listMigrations()): Promise<MigrateResult> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      await sql`create table if not exists schema_migrations (
        version integer primary key, name text not null, checksum text not null,
        applied_at timestamptz not null default now())`.execute(conn);
      const done = await conn.selectFrom('schema_migrations').selectAll().execute();
      const byVersion = new Map(done.map((m) => [m.version, m]));
      const applied: string[] = [];
      for (const m of migrations) {
        const prior = byVersion.get(m.version);
        if (prior) {
          if (prior.checksum !== m.checksum) {
            throw new Error(`migration ${m.name} was changed after it was applied (checksum differs)`);
          }
          continue;
        }
        await conn.transaction().execute(async (tx) => {
          await sql.raw(m.sql).execute(tx);
          await tx
            .insertInto('schema_migrations')
            .values({ version: m.version, name: m.name, checksum: m.checksum })
            .execute();
        });
        applied.push(m.name);
      }
      return { applied, alreadyApplied: migrations.length - applied.length };
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}
