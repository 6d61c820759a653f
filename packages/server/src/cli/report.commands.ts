import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './cli-runtime.ts';

/**
 * `accord report verify FILE` checks a signed report locally (no server needed; with --public-key
 * or --url the signing key must also be the trusted one), and `accord report generate` fetches a
 * signed report over the API with an API token.
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function trustedKey(o: {
  publicKey?: string;
  url?: string;
  apiToken?: string;
}): Promise<string | undefined> {
  if (o.publicKey) {
    if (Buffer.from(o.publicKey, 'base64').length !== 32)
      throw new CliError('--public-key must be the base64 of a 32-byte Ed25519 public key', 2);
    return o.publicKey;
  }
  if (!o.url) return undefined;
  const token = o.apiToken ?? process.env.ACCORD_API_TOKEN ?? '';
  if (!token.startsWith('acc_'))
    throw new CliError('--url needs --api-token (or ACCORD_API_TOKEN) acc_...', 2);
  const { request, errorText, serverUrl } = await import('./logs-ingest.ts');
  const res = await request(
    `${serverUrl(o.url)}/api/v1/reports/signing-key`,
    { headers: { authorization: `Bearer ${token}` } },
    (s) => void process.stderr.write(`${s}\n`),
  );
  if (!res.ok) throw new CliError(`the server's signing key could not be read: ${await errorText(res)}`);
  return ((await res.json()) as { publicKey: string }).publicKey;
}

async function verifyFile(file: string, o: { publicKey?: string; url?: string; apiToken?: string }) {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const trusted = await trustedKey(o);
  const { verifyDocument } = await import('../platform/signing.ts');
  const r = verifyDocument(bytes, trusted);
  if (!r.ok) throw new CliError(`${file}: NOT VERIFIED: ${r.reason}`, 1);
  process.stdout.write(
    `${file}: signature verified: Ed25519 key ${r.keyId}, signed ${r.signedAt}, content sha256 ${r.sha256}\n` +
      (trusted
        ? 'the signing key is the trusted key\n'
        : 'no trusted key given: this proves the file is unchanged since signing by key ' +
          `${r.keyId}; compare that id with the one your Accord server publishes (--url or --public-key)\n`),
  );
}

interface GenerateOptions {
  url: string;
  apiToken?: string;
  agreement?: string;
  portfolio?: boolean;
  from?: string;
  to?: string;
  format: string;
  out: string;
}

async function generate(o: GenerateOptions) {
  const token = o.apiToken ?? process.env.ACCORD_API_TOKEN ?? '';
  if (!token.startsWith('acc_'))
    throw new CliError('--api-token (or ACCORD_API_TOKEN) must be an API token acc_...', 2);
  if (!['html', 'pdf'].includes(o.format))
    throw new CliError(`--format must be html or pdf, not ${o.format}`, 2);
  if (!o.portfolio && (!o.agreement || !UUID_RE.test(o.agreement)))
    throw new CliError('give --agreement <id> for an assurance report, or --portfolio', 2);
  const q = new URLSearchParams({
    format: o.format,
    ...(o.from ? { from: o.from } : {}),
    ...(o.to ? { to: o.to } : {}),
  });
  const { request, errorText, serverUrl } = await import('./logs-ingest.ts');
  const path = o.portfolio ? '/api/v1/portfolio/report' : `/api/v1/agreements/${o.agreement}/report`;
  const res = await request(
    `${serverUrl(o.url)}${path}?${q}`,
    { headers: { authorization: `Bearer ${token}` } },
    (s) => void process.stderr.write(`${s}\n`),
  );
  if (!res.ok) throw new CliError(`the report was refused: ${await errorText(res)}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  await fs.promises.writeFile(o.out, bytes);
  process.stdout.write(
    `wrote ${o.out} (${bytes.length} bytes, sha256 ${res.headers.get('x-report-sha256')})\n`,
  );
}

export function registerReportCommands(program: Command): void {
  const report = program.command('report').description('Signed assurance and portfolio reports');
  report
    .command('verify <file>')
    .description("Check a report's Ed25519 signature (exit 1 when it does not verify)")
    .option('--public-key <base64>', 'the trusted public key (from GET /api/v1/reports/signing-key)')
    .option('--url <url>', 'read the trusted key from this Accord server (with --api-token)')
    .option('--api-token <token>', 'an API token acc_... [ACCORD_API_TOKEN]')
    .action((file: string, o: { publicKey?: string; url?: string; apiToken?: string }) =>
      verifyFile(file, o),
    );
  report
    .command('generate')
    .description('Fetch a signed report: an agreement (--agreement) or the MSP portfolio (--portfolio)')
    .requiredOption('--url <url>', 'the Accord server')
    .option('--api-token <token>', 'an API token acc_... [ACCORD_API_TOKEN]')
    .option('--agreement <id>', 'the agreement')
    .option('--portfolio', 'the portfolio report of the token’s MSP')
    .option('--from <date>', 'start of the period (default 30 days ago)')
    .option('--to <date>', 'end of the period (default now)')
    .option('--format <html|pdf>', 'html or pdf', 'pdf')
    .requiredOption('--out <file>', 'where to write it')
    .action((o: GenerateOptions) => generate(o));
}
