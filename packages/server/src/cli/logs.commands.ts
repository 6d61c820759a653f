import { Option, type Command } from 'commander';
import { EVENT_CLASSES, OUTCOMES } from '@accord/contracts';
import { systemContext } from '../platform/context.ts';
import { CliError, withRuntime, type StoreFlags } from './cli-runtime.ts';

/**
 * `accord ingest` (stream a log file to a log source, resumable: see logs-ingest.ts), `accord logs
 * search` (print a tenant's events, following the result pages) and `accord logs verify` (recompute a
 * tenant's seal chain on the store). main.ts loads this file for every command: what is heavy loads
 * inside the actions.
 */
export interface LogsCommandHelpers {
  /** Adds --data-dir, --database-url and --skip-migrations. */
  storeOptions: (cmd: Command) => Command;
  /** A positive whole number from an option (exit 2 if not). */
  wholeNumber: (value: unknown, option: string, max?: number) => number;
}

interface SearchOptions {
  url: string;
  apiToken?: string;
  org: string;
  from?: string;
  to?: string;
  user?: string;
  srcIp?: string;
  outcome?: string;
  class?: string;
  q?: string;
  source?: string;
  order: string;
  limit: string;
  format: 'json' | 'ndjson' | 'csv';
}

/** Writes to stdout with back-pressure; false once the reader has gone (`accord logs search | head`). */
function stdoutWriter(): (text: string) => Promise<boolean> {
  const out = process.stdout;
  let gone = false;
  out.on('error', () => (gone = true)); // EPIPE: main.ts keeps it from crashing the process
  return async (text) => {
    if (!gone && !out.write(text))
      await new Promise<void>((resolve) => {
        const done = () => (out.off('drain', done).off('error', done), resolve());
        out.on('drain', done).on('error', done);
      });
    return !gone;
  };
}

/**
 * Asks for pages of at most 1000 events (ndjson, or csv) until --limit are printed or there is no
 * next cursor (x-next-cursor); json output is one array of the events, written as they come.
 */
async function search(o: SearchOptions, h: LogsCommandHelpers): Promise<void> {
  const limit = h.wholeNumber(o.limit, '--limit');
  const token = o.apiToken ?? process.env.ACCORD_API_TOKEN ?? '';
  if (!token.startsWith('acc_'))
    throw new CliError('--api-token (or ACCORD_API_TOKEN) must be an API token acc_...', 2);
  const { request, errorText, serverUrl } = await import('./logs-ingest.ts');
  const { from, to, user, srcIp, outcome, q, order } = o;
  const filters = { from, to, user, srcIp, outcome, class: o.class, q, sourceId: o.source, order };
  const note = (s: string) => void process.stderr.write(`${s}\n`);
  const write = stdoutWriter();
  const events = `${serverUrl(o.url)}/api/v1/orgs/${encodeURIComponent(o.org)}/events`;
  let printed = 0;
  let cursor: string | null = null;
  let anyEvent = false;
  if (o.format === 'json') await write('[');
  do {
    const page = Math.min(1000, limit - printed);
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v !== undefined) qs.set(k, v);
    qs.set('limit', String(page));
    qs.set('format', o.format === 'csv' ? 'csv' : 'ndjson');
    if (cursor) qs.set('cursor', cursor);
    const res = await request(`${events}?${qs}`, { headers: { authorization: `Bearer ${token}` } }, note);
    if (!res.ok) throw new CliError(`the search was refused: ${await errorText(res)}`);
    cursor = res.headers.get('x-next-cursor');
    let body = await res.text();
    if (o.format === 'csv' && printed > 0) body = body.slice(body.indexOf('\n') + 1); // one header only
    if (o.format === 'json') {
      body = body
        .split('\n')
        .filter(Boolean)
        .map((e) => `,\n${e}`)
        .join('');
      if (!anyEvent) body = body.slice(1); // no comma before the first event
      anyEvent ||= body.length > 0;
    }
    if (!(await write(body))) return;
    printed += page; // only counts while there is a next cursor, that is while the pages are full
  } while (cursor && printed < limit);
  if (o.format === 'json') await write(`${anyEvent ? '\n' : ''}]\n`);
}

async function verify(opts: StoreFlags & { tenant: string; from?: string; to?: string }): Promise<void> {
  if (!/^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(opts.tenant))
    throw new CliError(`--tenant must be an organisation id, not ${JSON.stringify(opts.tenant)}`, 2);
  for (const [option, v] of [
    ['--from', opts.from],
    ['--to', opts.to],
  ] as const)
    if (v !== undefined && Number.isNaN(Date.parse(v)))
      throw new CliError(`${option} must be an ISO 8601 time, not ${JSON.stringify(v)}`, 2);
  await withRuntime(opts, async (rt) => {
    // An unknown tenant would verify as "0 batches, intact": say it does not exist.
    await rt.services.orgs.get(systemContext(), opts.tenant);
    const { verifyStoredLogs } = await import('../modules/telemetry/logs.service.ts');
    const r = await verifyStoredLogs(rt.database.db, opts.tenant, { from: opts.from, to: opts.to });
    const t = `tenant ${opts.tenant}`;
    if (r.ok) {
      process.stdout.write(`${t}: ${r.batches} batches, ${r.events} events, seal chain intact\n`);
      return;
    }
    process.stderr.write(
      `${t}: broken${r.firstBrokenSeq === null ? '' : ` at batch ${r.firstBrokenSeq}`}: ${r.reason}\n`,
    );
    throw new CliError(`the log seal chain of ${t} is broken`, 1);
  });
}

export function registerLogsCommands(program: Command, h: LogsCommandHelpers): void {
  program
    .command('ingest <file>')
    .description('Send a log file (- for standard input) to a log source in batches; a re-run resumes')
    .requiredOption('--url <url>', 'the Accord server, e.g. https://accord.example.com')
    .option('--token <token>', 'the log source ingest token acs_... [ACCORD_INGEST_TOKEN]')
    .option('--batch-lines <n>', 'lines per request at most', '5000')
    .option('--batch-bytes <size>', 'bytes per request at most (e.g. 4MiB, 512KiB)', '4MiB')
    .option('--gzip', 'compress the requests (a gzip file is read decompressed in any case)')
    .addOption(new Option('--format <format>', 'record format').choices(['lines', 'ndjson']).default('lines'))
    .option('--checkpoint <file>', 'where the resume state is kept (default <file>.accord-ingest.json)')
    .option('--restart', 'ignore the checkpoint and send the whole file again')
    .action(async (file: string, o) => {
      const { ingestFile, parseSize } = await import('./logs-ingest.ts');
      await ingestFile(file, {
        url: o.url,
        token: o.token ?? process.env.ACCORD_INGEST_TOKEN ?? '',
        maxLines: h.wholeNumber(o.batchLines, '--batch-lines', 1_000_000),
        maxBytes: parseSize(o.batchBytes, '--batch-bytes'),
        gzip: Boolean(o.gzip),
        format: o.format,
        checkpoint: o.checkpoint,
        restart: Boolean(o.restart),
      });
    });

  const logs = program.command('logs').description("A tenant's stored logs");
  logs
    .command('search')
    .description("Print a tenant's events, following the result pages (newest first unless --order asc)")
    .requiredOption('--url <url>', 'the Accord server')
    .option('--api-token <token>', 'an API token acc_... with logs:read [ACCORD_API_TOKEN]')
    .requiredOption('--org <id>', 'the tenant (organisation id)')
    .option('--from <iso>', 'events at or after this time')
    .option('--to <iso>', 'events before this time')
    .option('--user <name>', 'events of this user')
    .option('--src-ip <ip>', 'events from this address')
    .addOption(new Option('--outcome <outcome>', 'events with this outcome').choices([...OUTCOMES]))
    .addOption(new Option('--class <class>', 'events of this class').choices([...EVENT_CLASSES]))
    .option('--q <text>', 'events whose raw record contains this text')
    .option('--source <id>', 'events of this log source')
    .addOption(new Option('--order <order>', 'time order').choices(['asc', 'desc']).default('desc'))
    .option('--limit <n>', 'events to print at most', '100')
    .addOption(new Option('--format <format>', 'output').choices(['json', 'ndjson', 'csv']).default('json'))
    .action((o: SearchOptions) => search(o, h));

  h.storeOptions(logs.command('verify').description("Recompute a tenant's log seal chain from the store"))
    .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
    .option('--from <iso>', 'only batches with events at or after this time')
    .option('--to <iso>', 'only batches with events before this time')
    .action(verify);

  h.storeOptions(
    logs
      .command('retention')
      .description('Drop the day partitions no tenant must keep any longer (LOG-01); audited'),
  )
    .option('--dry-run', 'show what would be dropped and why the other days are kept; change nothing')
    .action(async (opts: StoreFlags & { dryRun?: boolean }) =>
      withRuntime(opts, async (rt) => {
        const r = await rt.services.retention.run(systemContext(), new Date(), {
          dryRun: Boolean(opts.dryRun),
        });
        const kept = r.plan.keep.filter((k) => k.requiredBy.length > 0);
        process.stdout.write(
          JSON.stringify(
            { dryRun: r.dryRun, dropped: r.dropped, tenants: r.tenants, drop: r.plan.drop, keep: kept },
            null,
            2,
          ) + '\n',
        );
      }),
    );
}
