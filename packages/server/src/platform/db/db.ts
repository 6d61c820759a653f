import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { copyCapablePool } from './copy.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { DB } from './schema.ts';

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;
/** Repos accept either the database or an open transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  kind: 'embedded' | 'postgres';
  /** Human description without secrets (no password in a URL). */
  describe: string;
  close(): Promise<void>;
}

// timestamptz and int8 come back as Date and string from `pg`; keep int8 as string (callers
// convert) so large values are never silently rounded.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

export async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: copyCapablePool(pool) }) });
  return { db, kind: 'postgres', describe: redactUrl(url), close: () => db.destroy() };
}

/**
 * Opens the embedded database in `<dataDir>/pgdata` (or in memory for `memory://`). A lock file
 * stops a second process from opening the same directory: two PGlite instances on one directory
 * would corrupt it.
 */
export async function openEmbedded(dataDir: string | 'memory://'): Promise<Database> {
  if (dataDir === 'memory://') {
    const pgl = new PGlite();
    await pgl.waitReady;
    const db = new Kysely<DB>({ dialect: new PGliteDialect(pgl) });
    return { db, kind: 'embedded', describe: 'embedded (in memory)', close: () => db.destroy() };
  }
  const dir = path.join(dataDir, 'pgdata');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lockFile = path.join(dataDir, 'accord.lock');
  takeLock(lockFile);
  const pgl = new PGlite(dir);
  try {
    await pgl.waitReady; // fully open before anyone can close it
  } catch (e) {
    fs.rmSync(lockFile, { force: true });
    throw e;
  }
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pgl) });
  return {
    db,
    kind: 'embedded',
    describe: `embedded (${dir})`,
    close: async () => {
      await db.destroy();
      fs.rmSync(lockFile, { force: true });
    },
  };
}

function takeLock(lockFile: string): void {
  try {
    fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const pid = Number(fs.readFileSync(lockFile, 'utf8'));
  if (pid && pid !== process.pid && isAlive(pid)) {
    throw new Error(
      `the data directory is in use by process ${pid} (${lockFile}); the embedded database allows one process`,
    );
  }
  fs.writeFileSync(lockFile, String(process.pid), { mode: 0o600 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
