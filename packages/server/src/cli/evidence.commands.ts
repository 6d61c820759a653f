import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from './cli-runtime.ts';

/**
 * `accord evidence add` (upload a file, or record a link, for a control of an agreement) and
 * `accord evidence list`, over the HTTP API with an API token, as an operator's script would.
 */
interface ApiOptions {
  url: string;
  apiToken?: string;
  agreement: string;
  control: string;
}
interface AddOptions extends ApiOptions {
  link?: string;
  effective: string;
  expires?: string;
  title?: string;
  collectedBy?: string;
  note?: string;
  contentType?: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}(T.+)?$/;

/** Media types of common evidence files; anything else is sent as application/octet-stream. */
const TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.zip': 'application/zip',
};

async function api(o: ApiOptions) {
  const token = o.apiToken ?? process.env.ACCORD_API_TOKEN ?? '';
  if (!token.startsWith('acc_'))
    throw new CliError('--api-token (or ACCORD_API_TOKEN) must be an API token acc_...', 2);
  if (!UUID_RE.test(o.agreement))
    throw new CliError(`--agreement must be an agreement id, not ${JSON.stringify(o.agreement)}`, 2);
  const { request, errorText, serverUrl } = await import('./logs-ingest.ts');
  const base = `${serverUrl(o.url)}/api/v1/agreements/${o.agreement}/controls/${encodeURIComponent(o.control)}/evidence`;
  const note = (s: string) => void process.stderr.write(`${s}\n`);
  const call = async (url: string, init: RequestInit, what: string) => {
    const res = await request(
      url,
      { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } },
      note,
    );
    if (!res.ok) throw new CliError(`${what} was refused: ${await errorText(res)}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  return { base, call };
}

function checkDates(o: AddOptions) {
  for (const [option, v] of [
    ['--effective', o.effective],
    ['--expires', o.expires],
  ] as const)
    if (v !== undefined && (!DATE_RE.test(v) || Number.isNaN(Date.parse(v))))
      throw new CliError(
        `${option} must be a date YYYY-MM-DD or an ISO 8601 time, not ${JSON.stringify(v)}`,
        2,
      );
}

async function add(file: string | undefined, o: AddOptions): Promise<void> {
  checkDates(o);
  if ((file === undefined) === (o.link === undefined))
    throw new CliError('give either a FILE to upload or --link URL', 2);
  const { base, call } = await api(o);
  const facts = {
    effectiveAt: o.effective,
    ...(o.expires ? { expiresAt: o.expires } : {}),
    ...(o.title ? { title: o.title } : {}),
    ...(o.collectedBy ? { collectedBy: o.collectedBy } : {}),
    ...(o.note ? { note: o.note } : {}),
  };
  let created: Record<string, unknown>;
  if (o.link !== undefined) {
    created = await call(
      base,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: o.link, title: o.title ?? o.link, ...facts }),
      },
      'the link',
    );
  } else {
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file!);
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
    }
    const filename = path.basename(file!);
    const type = o.contentType ?? TYPES[path.extname(filename).toLowerCase()] ?? 'application/octet-stream';
    const qs = new URLSearchParams({ filename, ...facts });
    created = await call(
      `${base}?${qs}`,
      { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(bytes) },
      `the upload of ${filename}`,
    );
  }
  const latest = created.latest as { file: { sha256: string; sizeBytes: number } | null };
  process.stdout.write(
    `${created.id}\t${created.status}\t${latest.file ? `sha256 ${latest.file.sha256}, ${latest.file.sizeBytes} bytes` : 'link'}\n`,
  );
}

async function list(o: ApiOptions & { json?: boolean }): Promise<void> {
  const { base, call } = await api(o);
  const items = (await call(base, {}, 'the list')) as unknown as {
    id: string;
    kind: string;
    status: string;
    expiresInDays: number | null;
    latest: { revision: number; title: string; effectiveAt: string; expiresAt: string | null };
  }[];
  if (o.json) {
    process.stdout.write(JSON.stringify(items, null, 2) + '\n');
    return;
  }
  const rows = items.map((e) =>
    [
      e.id,
      e.kind,
      e.status,
      `rev ${e.latest.revision}`,
      e.latest.effectiveAt.slice(0, 10),
      e.latest.expiresAt ? e.latest.expiresAt.slice(0, 10) : '-',
      e.latest.title,
    ].join('\t'),
  );
  process.stdout.write(rows.length ? rows.join('\n') + '\n' : '');
}

export function registerEvidenceCommands(program: Command): void {
  const evidence = program.command('evidence').description('Evidence of the controls of an agreement');
  const common = (cmd: Command) =>
    cmd
      .requiredOption('--url <url>', 'the Accord server')
      .option('--api-token <token>', 'an API token acc_... [ACCORD_API_TOKEN]')
      .requiredOption('--agreement <id>', 'the agreement')
      .requiredOption('--control <id>', 'the control, e.g. IRP-02');
  common(evidence.command('add [file]').description('Upload a file (or record --link URL) as evidence'))
    .option('--link <url>', 'record a link (http/https) instead of uploading a file')
    .requiredOption(
      '--effective <date>',
      'when the fact the evidence shows was true (YYYY-MM-DD or ISO time)',
    )
    .option('--expires <date>', 'when the evidence stops counting')
    .option('--title <text>', 'a title (default: the file name or the link)')
    .option('--collected-by <who>', 'who collected it (default: the token)')
    .option('--note <text>', 'a note')
    .option('--content-type <type>', 'the file’s media type (default: from its extension)')
    .action((file: string | undefined, o: AddOptions) => add(file, o));
  common(evidence.command('list').description("A control's evidence, one item a line (latest revision)"))
    .option('--json', 'print the API answer as JSON')
    .action((o: ApiOptions & { json?: boolean }) => list(o));
}
