import type { Command } from 'commander';
import { DkimSelector, DomainName } from '@accord/contracts';
import { systemContext } from '../platform/context.ts';
import type { Runtime } from '../server.ts';
import { CliError, withRuntime, type StoreFlags } from './cli-runtime.ts';

/**
 * `accord mail-domain add|list|show|selectors|check|remove|check-due`: a tenant's mail domains and
 * their DNS checks (docs/phishing.md). With --url and an API token the commands go through the
 * HTTP API; without, they act on the store as the system (the DNS servers come from
 * ACCORD_DNS_SERVERS or --dns-server). Answers are printed as JSON; a refusal exits 1.
 */
interface Options extends StoreFlags {
  tenant: string;
  url?: string;
  apiToken?: string;
  dnsServer?: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const out = (v: unknown) => void process.stdout.write(JSON.stringify(v, null, 2) + '\n');

function uuid(value: string, what: string): string {
  if (!UUID_RE.test(value)) throw new CliError(`${what} must be an id, not ${JSON.stringify(value)}`, 2);
  return value;
}

function selectorsOf(list: string | undefined): string[] {
  const items = (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.map((s) => {
    const r = DkimSelector.safeParse(s);
    if (!r.success) throw new CliError(`--selectors: ${JSON.stringify(s)} is not a DKIM selector`, 2);
    return r.data;
  });
}

async function http(o: Options, method: string, path: string, body?: unknown) {
  const token = o.apiToken ?? process.env.ACCORD_API_TOKEN ?? '';
  if (!token.startsWith('acc_'))
    throw new CliError('--api-token (or ACCORD_API_TOKEN) must be an API token acc_...', 2);
  const { serverUrl, errorText } = await import('./logs-ingest.ts');
  let res: Response;
  try {
    res = await fetch(`${serverUrl(o.url!)}/api/v1/orgs/${o.tenant}/mail-domains${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new CliError(
      `${o.url}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`,
    );
  }
  if (!res.ok) throw new CliError(`refused: ${await errorText(res)}`);
  return res.status === 204 ? { removed: true } : res.json();
}

/** Runs `viaStore` on the store as the system, or the HTTP call when --url is given. */
async function act(
  o: Options,
  viaHttp: () => Promise<unknown>,
  viaStore: (services: Runtime['services']) => Promise<unknown>,
) {
  uuid(o.tenant, '--tenant');
  if (o.url) return out(await viaHttp());
  const flags = { ...o, ...(o.dnsServer ? { dnsServers: o.dnsServer } : {}) };
  await withRuntime(flags, async (rt) => {
    await rt.services.orgs.get(systemContext(), o.tenant);
    out(await viaStore(rt.services));
  });
}

export function registerMailCommands(program: Command, storeOptions: (cmd: Command) => Command): void {
  const mail = program
    .command('mail-domain')
    .description("A tenant's mail domains and their SPF, DMARC, DKIM and MX checks");
  const common = (cmd: Command) =>
    storeOptions(cmd)
      .requiredOption('--tenant <orgId>', 'the organisation (customer or MSP) the domain belongs to')
      .option('--url <url>', 'use this Accord server instead of the store')
      .option(
        '--api-token <token>',
        'with --url: an API token acc_... with inventory:manage [ACCORD_API_TOKEN]',
      )
      .option(
        '--dns-server <list>',
        'without --url: DNS servers to ask (ip[:port],...) [ACCORD_DNS_SERVERS]',
      );
  const ctx = () => systemContext();

  common(mail.command('add <domain>').description('Register a mail domain'))
    .option('--selectors <list>', 'DKIM selectors its mail is signed with, comma-separated')
    .action(async (domain: string, o: Options & { selectors?: string }) => {
      const d = DomainName.safeParse(domain);
      if (!d.success) throw new CliError(`${JSON.stringify(domain)} is not a domain name`, 2);
      const input = { domain: d.data, dkimSelectors: selectorsOf(o.selectors) };
      await act(
        o,
        () => http(o, 'POST', '', input),
        (s) => s.mail.register(ctx(), o.tenant, input),
      );
    });
  common(mail.command('list').description('List the domains with their newest check')).action(
    async (o: Options) =>
      act(
        o,
        () => http(o, 'GET', ''),
        (s) => s.mail.list(ctx(), o.tenant),
      ),
  );
  common(mail.command('show <id>').description('One domain and its check history'))
    .option('--limit <n>', 'checks to show', '10')
    .action(async (id: string, o: Options & { limit: string }) => {
      uuid(id, 'the domain id');
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new CliError(`--limit must be a whole number from 1 to 500, not ${JSON.stringify(o.limit)}`, 2);
      await act(
        o,
        async () => ({
          ...(await http(o, 'GET', `/${id}`)),
          checks: await http(o, 'GET', `/${id}/checks?limit=${limit}`),
        }),
        async (s) => ({
          ...(await s.mail.get(ctx(), o.tenant, id)),
          checks: await s.mail.history(ctx(), o.tenant, id, limit),
        }),
      );
    });
  common(mail.command('selectors <id>').description("Replace a domain's DKIM selectors"))
    .requiredOption('--set <list>', 'the selectors, comma-separated (empty: none)')
    .action(async (id: string, o: Options & { set: string }) => {
      uuid(id, 'the domain id');
      const input = { dkimSelectors: selectorsOf(o.set) };
      await act(
        o,
        () => http(o, 'PUT', `/${id}`, input),
        (s) => s.mail.update(ctx(), o.tenant, id, input),
      );
    });
  common(mail.command('check <id>').description('Resolve the domain now and store the result')).action(
    async (id: string, o: Options) => {
      uuid(id, 'the domain id');
      await act(
        o,
        () => http(o, 'POST', `/${id}/check`),
        (s) => s.mail.checkNow(ctx(), o.tenant, id),
      );
    },
  );
  common(mail.command('remove <id>').description('Remove a domain (its checks stay stored)')).action(
    async (id: string, o: Options) => {
      uuid(id, 'the domain id');
      await act(
        o,
        () => http(o, 'DELETE', `/${id}`),
        async (s) => (await s.mail.remove(ctx(), o.tenant, id), { removed: true }),
      );
    },
  );
  storeOptions(
    mail
      .command('check-due')
      .description('Check every domain not checked within --hours (as the scheduled job does)'),
  )
    .option('--hours <n>', 'how old the newest check may be', '24')
    .option('--dns-server <list>', 'DNS servers to ask (ip[:port],...) [ACCORD_DNS_SERVERS]')
    .action(async (o: StoreFlags & { hours: string; dnsServer?: string }) => {
      const hours = Number(o.hours);
      if (!(hours >= 0))
        throw new CliError(`--hours must be a number of hours, not ${JSON.stringify(o.hours)}`, 2);
      await withRuntime({ ...o, ...(o.dnsServer ? { dnsServers: o.dnsServer } : {}) }, async (rt) =>
        out(await rt.services.mail.runDue(new Date(), hours * 3_600_000)),
      );
    });
}
