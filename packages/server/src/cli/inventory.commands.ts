import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { IMPORT_KINDS, IMPORT_PATHS, type ImportKind } from '@accord/contracts';
import { systemContext } from '../platform/context.ts';
import { CliError, withRuntime, type StoreFlags } from './cli-runtime.ts';

/**
 * `accord import <kind> FILE --tenant ORG` (an inventory file: to a server with --url and an API
 * token, or straight into the store as the system) and `accord kev import FILE` / `accord kev
 * update` (the CISA KEV catalog). The answer (accepted, rejected rows with line and reason, the
 * import's SHA-256) is printed as JSON; a refused file exits 1 with the server's reason.
 */
interface ImportOptions extends StoreFlags {
  tenant: string;
  format?: string;
  url?: string;
  apiToken?: string;
}

const KIND_ARGS = Object.values(IMPORT_PATHS);
const kindOf = (arg: string): ImportKind => {
  const k = IMPORT_KINDS.find((x) => IMPORT_PATHS[x] === arg);
  if (!k) throw new CliError(`unknown import kind ${JSON.stringify(arg)}: use ${KIND_ARGS.join(', ')}`, 2);
  return k;
};
const gz = (file: string) => /\.gz$/i.test(file);
/** JSON, CSV or XML from --format, else from the file name. */
function contentType(file: string, format?: string): string {
  const name = file.replace(/\.gz$/i, '');
  // Application-control policies (AppLocker) are XML.
  if (format === 'applocker' || (!format && /\.xml$/i.test(name))) return 'application/xml';
  if (format === 'csv' || (!format && /\.csv$/i.test(name))) return 'text/csv';
  if (format || /\.json$/i.test(name)) return 'application/json';
  throw new CliError(`cannot tell whether ${file} is CSV or JSON: name it .csv/.json or give --format`, 2);
}
const out = (v: unknown) => void process.stdout.write(JSON.stringify(v, null, 2) + '\n');

function readFile(file: string): fs.ReadStream {
  if (!fs.existsSync(file)) throw new CliError(`${file}: no such file`, 2);
  return fs.createReadStream(file);
}

async function viaHttp(path: string, file: string, type: string, o: { url: string; apiToken?: string }) {
  const token = o.apiToken ?? process.env.ACCORD_API_TOKEN ?? '';
  if (!token.startsWith('acc_'))
    throw new CliError('--api-token (or ACCORD_API_TOKEN) must be an API token acc_...', 2);
  const { serverUrl, errorText } = await import('./logs-ingest.ts');
  let res: Response;
  try {
    res = await fetch(`${serverUrl(o.url)}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': type,
        ...(gz(file) ? { 'content-encoding': 'gzip' } : {}),
      },
      body: new Uint8Array(await fs.promises.readFile(file)),
    });
  } catch (e) {
    throw new CliError(
      `${o.url}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`,
    );
  }
  if (!res.ok) throw new CliError(`the import was refused: ${await errorText(res)}`);
  return res.json();
}

async function importCmd(kindArg: string, file: string, o: ImportOptions): Promise<void> {
  const kind = kindOf(kindArg);
  if (!/^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(o.tenant))
    throw new CliError(`--tenant must be an organisation id, not ${JSON.stringify(o.tenant)}`, 2);
  const type = contentType(file, o.format);
  const q = new URLSearchParams({ filename: file.split(/[\\/]/).pop()! });
  if (o.format) q.set('format', o.format);
  if (o.url) {
    readFile(file).destroy();
    return out(
      await viaHttp(`/api/v1/orgs/${o.tenant}/imports/${IMPORT_PATHS[kind]}?${q}`, file, type, {
        url: o.url,
        apiToken: o.apiToken,
      }),
    );
  }
  await withRuntime(o, async (rt) => {
    await rt.services.orgs.get(systemContext(), o.tenant);
    out(
      await rt.services.inventory.importFile(systemContext(), o.tenant, kind, {
        body: readFile(file),
        contentType: type,
        contentEncoding: gz(file) ? 'gzip' : undefined,
        format: o.format,
        filename: q.get('filename')!,
      }),
    );
  });
}

export function registerInventoryCommands(program: Command, storeOptions: (cmd: Command) => Command): void {
  storeOptions(
    program
      .command('import <kind> <file>')
      .description(`Import a tenant's inventory file (kind: ${KIND_ARGS.join(', ')}); replaces its snapshot`),
  )
    .requiredOption('--tenant <orgId>', 'the tenant (organisation id)')
    .addOption(
      new Option('--format <format>', 'file format').choices(['entra', 'okta', 'csv', 'json', 'applocker']),
    )
    .option('--url <url>', 'send to this Accord server instead of writing to the store')
    .option(
      '--api-token <token>',
      'with --url: an API token acc_... with inventory:manage [ACCORD_API_TOKEN]',
    )
    .action(importCmd);

  const kev = program.command('kev').description('The CISA Known Exploited Vulnerabilities catalog');
  storeOptions(
    kev.command('import <file>').description('Import a copy of the KEV catalog (JSON as CISA publishes it)'),
  )
    .option('--url <url>', 'send to this Accord server instead of writing to the store')
    .option('--api-token <token>', "with --url: an MSP administrator's API token acc_...")
    .action(async (file: string, o: StoreFlags & { url?: string; apiToken?: string }) => {
      if (o.url) {
        readFile(file).destroy();
        return out(
          await viaHttp('/api/v1/kev', file, 'application/json', { url: o.url, apiToken: o.apiToken }),
        );
      }
      await withRuntime(o, async (rt) =>
        out(
          await rt.services.kev.importCatalog(systemContext(), readFile(file), {
            contentEncoding: gz(file) ? 'gzip' : undefined,
          }),
        ),
      );
    });
  storeOptions(kev.command('update').description("Download CISA's published KEV feed and import it"))
    .option('--feed-url <url>', "the feed to download (default: CISA's)")
    .action(async (o: StoreFlags & { feedUrl?: string }) =>
      withRuntime(o, async (rt) => out(await rt.services.kev.update(systemContext(), o.feedUrl))),
    );
}
