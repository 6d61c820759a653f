import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * Bulk loading through COPY, on both databases, behind Kysely: a statement
 * `copy <table> (<columns>) from stdin` run with exactly one parameter, the rows in COPY text
 * format (tab-separated, `\N` for null, see copyField), loads those rows. Kysely passes the
 * statement to the driver untouched; the PostgreSQL pool below and the PGlite dialect recognise it
 * and stream the parameter as the COPY data instead of binding it.
 */
const COPY_FROM_STDIN = /^copy\s[^;]+\sfrom\s+stdin$/i;

export function copyData(sql: string, parameters: ReadonlyArray<unknown>): string | null {
  if (parameters.length !== 1 || typeof parameters[0] !== 'string') return null;
  return COPY_FROM_STDIN.test(sql) ? parameters[0] : null;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value as a field of COPY's text format: null is `\N`; backslash, tab, newline and CR escaped. */
export function copyField(v: string | number | boolean | null): string {
  if (v === null) return '\\N';
  if (typeof v !== 'string') return String(v);
  return NEEDS_ESCAPE.test(v) ? v.replace(ESCAPED, (c) => ESCAPES[c]!) : v;
}

async function copyIn(client: pg.PoolClient, sql: string, data: string): Promise<PostgresQueryResult<never>> {
  const stream = client.query(copyFrom(sql));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    stream.end(data);
  });
  // Kysely reads only the row count of INSERT-like commands; COPY's is not needed by callers.
  return { command: 'INSERT', rowCount: stream.rowCount, rows: [] };
}

/** A pg pool for Kysely's PostgresDialect whose connections also run COPY ... FROM STDIN (above). */
export function copyCapablePool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) => {
      if (typeof sqlOrCursor === 'string' && parameters) {
        const data = copyData(sqlOrCursor, parameters);
        if (data !== null) return copyIn(client, sqlOrCursor, data);
      }
      return client.query(sqlOrCursor as string, parameters as unknown[]);
    }) as unknown as PostgresPoolClient['query'],
    release: (destroy) => client.release(destroy),
  });
  return {
    connect: async () => {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) wrapped.set(client, (w = wrap(client)));
      return w;
    },
    end: () => pool.end(),
  };
}
