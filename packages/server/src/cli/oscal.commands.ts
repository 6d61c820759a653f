import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './cli-runtime.ts';

/**
 * `accord oscal export` (over the HTTP API with an API token, like the other operator commands)
 * and `accord oscal import FILE`, which reads a document locally against the catalog Accord ships:
 * the API's import stores nothing either, so an auditor can check a file without a server.
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WHAT = ['catalog', 'profile', 'components', 'results', 'poam'] as const;
type What = (typeof WHAT)[number];

interface ExportOptions {
  url: string;
  apiToken?: string;
  agreement?: string;
  version?: string;
  out?: string;
}

function pathOf(what: What, o: ExportOptions): string {
  if (what === 'catalog') return '/api/v1/oscal/catalog';
  if (!o.agreement || !UUID_RE.test(o.agreement))
    throw new CliError(`oscal export ${what} needs --agreement <id> (an agreement id)`, 2);
  const a = `/api/v1/agreements/${o.agreement}`;
  if (what === 'results') return `${a}/oscal/assessment-results`;
  if (what === 'poam') return `${a}/oscal/poam`;
  if (!o.version || !/^[1-9]\d*$/.test(o.version))
    throw new CliError(`oscal export ${what} needs --version <n> (a version number)`, 2);
  return `${a}/versions/${o.version}/oscal/${what === 'profile' ? 'profile' : 'component-definition'}`;
}

async function exportDoc(what: string, o: ExportOptions): Promise<void> {
  if (!(WHAT as readonly string[]).includes(what))
    throw new CliError(`export one of ${WHAT.join(', ')}, not ${JSON.stringify(what)}`, 2);
  const token = o.apiToken ?? process.env.ACCORD_API_TOKEN ?? '';
  if (!token.startsWith('acc_'))
    throw new CliError('--api-token (or ACCORD_API_TOKEN) must be an API token acc_...', 2);
  const path = pathOf(what as What, o);
  const { request, errorText, serverUrl } = await import('./logs-ingest.ts');
  const res = await request(
    serverUrl(o.url) + path,
    { headers: { authorization: `Bearer ${token}` } },
    (s) => void process.stderr.write(`${s}\n`),
  );
  if (!res.ok) throw new CliError(`the export was refused: ${await errorText(res)}`);
  const text = JSON.stringify(await res.json(), null, 2) + '\n';
  if (o.out) {
    await fs.promises.writeFile(o.out, text);
    process.stderr.write(`wrote ${o.out} (${text.length} bytes)\n`);
  } else process.stdout.write(text);
}

async function importDoc(file: string, o: { json?: boolean }): Promise<void> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const { loadCatalog } = await import('../modules/catalog/catalog.loader.ts');
  const { parseOscalJson, readOscal } = await import('../modules/oscal/oscal-import.ts');
  const { AppError } = await import('../platform/errors.ts');
  let r;
  try {
    r = readOscal(parseOscalJson(text), loadCatalog());
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    const problems =
      (e.details as { problems?: { path: string; message: string }[] } | undefined)?.problems ?? [];
    for (const p of problems) process.stderr.write(`${file}: ${p.path}: ${p.message}\n`);
    throw new CliError(`${file}: ${e.message}`, 1);
  }
  if (o.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return;
  }
  const mapped = r.controls.filter((c) => c.accordControlId).length;
  const counts = Object.entries(r.counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  process.stdout.write(
    `${file}: a valid OSCAL ${r.oscalVersion} ${r.model}: "${r.title}" version ${r.version}\n` +
      `${r.controls.length} control${r.controls.length === 1 ? '' : 's'} named (${mapped} of them in Accord's catalog)${counts ? `; ${counts}` : ''}\n` +
      (r.agreementControls
        ? `${r.agreementControls.length} controls ready to draft an agreement from (--json)\n`
        : '') +
      r.warnings.map((w) => `warning: ${w}\n`).join(''),
  );
}

export function registerOscalCommands(program: Command): void {
  const oscal = program.command('oscal').description('OSCAL 1.2.1 export and import');
  oscal
    .command('export <what>')
    .description(
      'Export catalog | profile | components (a version) | results | poam (the active version) as OSCAL JSON',
    )
    .requiredOption('--url <url>', 'the Accord server')
    .option('--api-token <token>', 'an API token acc_... [ACCORD_API_TOKEN]')
    .option('--agreement <id>', 'the agreement (all but catalog)')
    .option('--version <n>', 'the agreement version (profile, components)')
    .option('--out <file>', 'write to a file instead of standard output')
    .action((what: string, o: ExportOptions) => exportDoc(what, o));
  oscal
    .command('import <file>')
    .description(
      'Check an OSCAL JSON document against its schema (problems with their JSON path) and say what it holds',
    )
    .option('--json', 'print what was read as JSON (a profile: the controls to draft an agreement from)')
    .action((file: string, o: { json?: boolean }) => importDoc(file, o));
}
