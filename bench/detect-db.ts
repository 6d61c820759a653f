/**
 * The PostgreSQL database of `bench/detect.bench.ts`'s full path: DATABASE_URL, or
 * postgres://postgres@127.0.0.1:5432/acc_bench_detect. Never a database named `test` (the one the
 * test suites share): that name is replaced by acc_bench_detect on the same server. The database is
 * created when the server answers but it does not exist yet.
 */
import pg from 'pg';

const DETECT_DB = 'acc_bench_detect';

export interface ResolvedDb {
  /** null: no database to use (see error / notes). */
  url: string | null;
  notes: string[];
  /** Set when DATABASE_URL was given and cannot be used: that counts as a failure. */
  error: string | null;
}

async function probe(url: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Resolves the bench's database (`benchDb` by default, and in place of `test`); other benches reuse it. */
export async function resolveDatabase(benchDb = DETECT_DB): Promise<ResolvedDb> {
  const given = process.env.DATABASE_URL;
  const notes: string[] = [];
  const u = new URL(given || `postgres://postgres@127.0.0.1:5432/${benchDb}`);
  if (u.pathname.replace(/^\//, '') === 'test') {
    u.pathname = `/${benchDb}`;
    notes.push(
      `DATABASE_URL names the shared "test" database: the bench uses ${benchDb} on that server instead.`,
    );
  }
  const url = u.toString();
  let err = await probe(url);
  if (err === '3D000') {
    // The server answers, the database does not exist yet.
    const admin = new URL(url);
    admin.pathname = '/postgres';
    const c = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query(`create database ${pg.escapeIdentifier(u.pathname.slice(1))}`);
      notes.push(`created database ${u.pathname.slice(1)}`);
    } catch (e) {
      if ((e as { code?: string }).code !== '42P04')
        notes.push(`could not create the database: ${(e as Error).message}`);
    } finally {
      await c.end().catch(() => undefined);
    }
    err = await probe(url);
  }
  if (err === null) return { url, notes, error: null };
  const why = `PostgreSQL at ${u.host}${u.pathname} cannot be used (${err})`;
  if (given) return { url: null, notes, error: `${why}: DATABASE_URL is set, so this is a failure` };
  notes.push(`${why}: the PostgreSQL part is skipped.`);
  return { url: null, notes, error: null };
}
