import fs from 'node:fs';
import { Command, Option } from 'commander';
import {
  MEMBER_FUNCTIONS,
  PERMISSIONS,
  ROLES,
  type MemberFunction,
  type Permission,
  type Role,
} from '@accord/contracts';
import { AppError } from '../platform/errors.ts';
import { systemContext, type RequestContext } from '../platform/context.ts';
import { randomToken } from '../platform/crypto.ts';
import { CatalogLoadError } from '../modules/catalog/catalog.loader.ts';
import {
  renderHtml,
  renderJson,
  renderMarkdown,
  verifyExport,
} from '../modules/agreements/agreement-export.ts';
import type { seedDemo } from '../modules/demo/demo-seed.ts';
import { stepAt, totpCode } from '../modules/auth/totp.ts';
import { CliError, configFrom, withRuntime, type StoreFlags } from './cli-runtime.ts';
import { registerLogsCommands } from './logs.commands.ts';
import { registerDetectionCommands } from './detection.commands.ts';
import { registerInventoryCommands } from './inventory.commands.ts';
import { registerEvidenceCommands } from './evidence.commands.ts';
import { registerOscalCommands } from './oscal.commands.ts';
import { registerReportCommands } from './report.commands.ts';
import { registerSupplierCommands } from './suppliers.commands.ts';
import { registerMailCommands } from './mail.commands.ts';
import { registerIrCommands } from './ir.commands.ts';

// Only light modules are imported above: the server (Fastify, PGlite, argon2) loads inside the
// commands that need it, so `--help`, `mfa code` and `agreement verify` start fast.
const program = new Command('accord')
  .description('Accord: MSP-customer security agreements built from CISA AA22-131A, verified from evidence.')
  .showHelpAfterError();

const storeOptions = (cmd: Command) =>
  cmd
    .option('--data-dir <dir>', 'data directory (embedded database, generated secrets) [ACCORD_DATA_DIR]')
    .option('--database-url <url>', 'external PostgreSQL instead of the embedded database [DATABASE_URL]')
    .option('--skip-migrations', 'do not apply migrations on start [ACCORD_SKIP_MIGRATIONS]');
const out = (v: unknown): void =>
  void process.stdout.write(typeof v === 'string' ? v : JSON.stringify(v, null, 2) + '\n');
/** A positive whole number from an option, checked before the store is opened (exit 2 if not). */
const wholeNumber = (value: unknown, option: string, max = Number.MAX_SAFE_INTEGER): number => {
  const n = Number(value);
  if (!/^\d+$/.test(String(value)) || n < 1 || n > max)
    throw new CliError(
      `${option} must be a whole number ${max < Number.MAX_SAFE_INTEGER ? `from 1 to ${max}` : 'of 1 or more'}, not ${JSON.stringify(value)}`,
      2,
    );
  return n;
};
const operator = (orgId?: string, kind?: 'msp' | 'customer'): RequestContext => ({
  ...systemContext(),
  ...(orgId ? { orgId, orgKind: kind ?? null } : {}),
});

async function serve(opts: StoreFlags & { mode?: string; host?: string; port?: string }, demo: boolean) {
  const config = configFrom({ ...opts });
  const { createLogger } = await import('../platform/logger.ts');
  const { openRuntime, startHttp } = await import('../server.ts');
  const logger = createLogger(config.logLevel);
  const rt = await openRuntime(config, logger);
  let seeded: Awaited<ReturnType<typeof seedDemo>> | null = null;
  if (demo) seeded = await (await import('../modules/demo/demo-seed.ts')).seedDemo(rt);
  const http = await startHttp(rt, { handleSignals: true });
  const lines = [
    `Accord is running at ${http.url} (database: ${rt.database.describe})`,
    `  API docs: ${http.url}/api/docs`,
  ];
  if (seeded) {
    lines.push(seeded.created ? '  Demo data seeded.' : '  Demo data already present.');
    lines.push(
      '  Tailspin Logistics has an active agreement, a week of sign-in and sshd logs with an attack',
      '  in them, and verified controls: GET /api/v1/portfolio as the MSP admin shows them.',
    );
    // The sign-ins are only in the data directory of the run that seeded this database (with
    // --database-url that can be another directory): do not point at a file that is not there.
    lines.push(
      seeded.users.length
        ? `  Demo sign-ins (passwords and TOTP secrets): ${seeded.file}`
        : `  Demo sign-ins: not in this data directory (${seeded.file} is written by the run that seeded the database)`,
    );
    const first = seeded.users.find((u) => u.role === 'msp_admin');
    if (first) {
      lines.push(`  e.g. ${first.email} / ${first.password} (MSP admin, MFA on: current code with`);
      lines.push(`       npm run accord -- mfa code --secret ${first.totpSecret})`);
      lines.push(
        `  Sign in: curl -c jar -H 'content-type: application/json' -d '{"email":"${first.email}","password":"${first.password}","code":"<code>"}' ${http.url}/api/v1/auth/login`,
      );
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}

storeOptions(program.command('serve').description('Run the Accord server'))
  .addOption(new Option('--mode <mode>', 'process role [ACCORD_MODE]').choices(['all', 'api', 'worker']))
  .option('--host <host>', 'listen address [ACCORD_HOST]')
  .option('--port <port>', 'listen port [ACCORD_PORT]')
  .action((opts) => serve(opts, false));

storeOptions(
  program.command('demo').description('Run the server with demo data: one MSP, three customers, every role'),
)
  .option('--host <host>', 'listen address [ACCORD_HOST]')
  .option('--port <port>', 'listen port [ACCORD_PORT]')
  .action((opts) => serve(opts, true));

storeOptions(program.command('migrate').description('Apply pending database migrations and exit')).action(
  async (opts: StoreFlags) => {
    await withRuntime({ ...opts, skipMigrations: true }, async (rt) => {
      const { migrate } = await import('../platform/db/migrate.ts');
      const r = await migrate(rt.database.db);
      out(
        `applied ${r.applied.length} migration(s)${r.applied.length ? ': ' + r.applied.join(', ') : ''}; ${r.alreadyApplied} already applied\n`,
      );
    });
  },
);

const org = program.command('org').description('Organisations and MSP-customer relationships');
storeOptions(org.command('create').description('Create an organisation'))
  .requiredOption('--name <name>', 'organisation name')
  .addOption(
    new Option('--kind <kind>', 'msp or customer').choices(['msp', 'customer']).makeOptionMandatory(),
  )
  .action(async (opts) =>
    withRuntime(opts, async (rt) =>
      out(await rt.services.orgs.create(systemContext(), { name: opts.name, kind: opts.kind })),
    ),
  );
storeOptions(org.command('list').description('List organisations')).action(async (opts) =>
  withRuntime(opts, async (rt) => out(await rt.services.orgs.listAllForOperator(systemContext()))),
);
storeOptions(org.command('link').description('Open an MSP-customer relationship'))
  .requiredOption('--msp <id>', 'MSP organisation id')
  .requiredOption('--customer <id>', 'customer organisation id')
  .option('--active', 'activate at once instead of inviting')
  .action(async (opts) =>
    withRuntime(opts, async (rt) =>
      out(await rt.services.orgs.link(systemContext(), opts.msp, opts.customer, Boolean(opts.active))),
    ),
  );

const user = program.command('user').description('Users and memberships');
storeOptions(
  user
    .command('add')
    .description('Add a user to an organisation (creates the user if new; prints a generated password)'),
)
  .requiredOption('--org <id>', 'organisation id')
  .requiredOption('--email <email>', 'e-mail address')
  .requiredOption('--name <name>', 'display name')
  .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
  .addOption(new Option('--function <function>', 'customer member function').choices([...MEMBER_FUNCTIONS]))
  .option('--expires <iso>', 'access expiry (required for auditors)')
  .option('--password-stdin', 'read the initial password from standard input instead of generating one')
  .action(async (opts) =>
    withRuntime(opts, async (rt) => {
      const password = opts.passwordStdin ? fs.readFileSync(0, 'utf8').trim() : randomToken(15);
      const m = await rt.services.users.addMember(systemContext(), opts.org, {
        email: opts.email,
        name: opts.name,
        role: opts.role as Role,
        function: opts.function as MemberFunction | undefined,
        expiresAt: opts.expires,
        password,
      });
      out({
        userId: m.user_id,
        email: m.email,
        orgId: m.org_id,
        role: m.role,
        ...(opts.passwordStdin ? {} : { initialPassword: password }),
      });
    }),
  );
storeOptions(user.command('reset-mfa').description("Clear a user's MFA so they enrol again (audited)"))
  .requiredOption('--email <email>', 'e-mail address')
  .action(async (opts) =>
    withRuntime(opts, async (rt) => {
      await rt.services.auth.resetMfa(systemContext(), opts.email);
      out(`MFA reset for ${opts.email}; their sessions have ended\n`);
    }),
  );

const token = program.command('token').description('API tokens');
storeOptions(token.command('create').description('Create an API token for an organisation (printed once)'))
  .requiredOption('--org <id>', 'organisation id')
  .requiredOption('--name <name>', 'token name')
  .requiredOption('--scopes <list>', `comma-separated: ${PERMISSIONS.join(', ')}`)
  .option('--days <n>', 'days until it expires', '90')
  .action(async (opts) => {
    // Usage errors are caught before the store is opened (it may be locked by a running server).
    // --days used to go through unchecked: `--days abc` died with "Invalid time value" and
    // `--days 0` or `-5` made a token that was already expired; the API allows 1 to 365.
    const scopes = String(opts.scopes)
      .split(',')
      .map((s) => s.trim()) as Permission[];
    const bad = scopes.filter((s) => !PERMISSIONS.includes(s));
    if (bad.length) throw new CliError(`unknown scope(s): ${bad.join(', ')}`, 2);
    const expiresInDays = wholeNumber(opts.days, '--days', 365);
    await withRuntime(opts, async (rt) => {
      const o = await rt.services.orgs.get(systemContext(), opts.org);
      const t = await rt.services.tokens.create(operator(o.id, o.kind), {
        name: opts.name,
        scopes,
        expiresInDays,
      });
      out({ id: t.id, orgId: t.org_id, scopes: t.scopes, expiresAt: t.expires_at, token: t.token });
    });
  });
storeOptions(token.command('revoke').description('Revoke an API token'))
  .requiredOption('--org <id>', 'organisation id')
  .requiredOption('--id <tokenId>', 'token id')
  .action(async (opts) =>
    withRuntime(opts, async (rt) => out(await rt.services.tokens.revoke(operator(opts.org), opts.id))),
  );

const catalog = program.command('catalog').description('The control catalog');
catalog
  .command('list')
  .description('List the catalog controls')
  .option('--group <id>', 'only this group (e.g. LOG)')
  .option('--json', 'JSON output')
  .option('--file <path>', 'a catalog file instead of the built-in one [ACCORD_CATALOG_FILE]')
  .action(async (opts) => {
    const { loadCatalog, DEFAULT_CATALOG_FILE } = await import('../modules/catalog/catalog.loader.ts');
    const c = loadCatalog(opts.file ?? process.env.ACCORD_CATALOG_FILE ?? DEFAULT_CATALOG_FILE);
    const controls = c.controls.filter((x) => !opts.group || x.group === opts.group);
    if (opts.json) return out(controls);
    out(`${c.catalog.title} ${c.catalog.version}: ${controls.length} control(s)\n`);
    for (const x of controls)
      out(
        `${x.id}  ${x.default_owner.padEnd(8)} ${x.verification.mode.padEnd(9)} ${x.cadence.padEnd(10)} ${x.title}\n`,
      );
  });

const agreement = program.command('agreement').description('Agreements');
storeOptions(agreement.command('export').description('Export an agreement version as a contract schedule'))
  .requiredOption('--id <agreementId>', 'agreement id')
  .requiredOption('--version <n>', 'version number')
  .addOption(
    new Option('--format <format>', 'output format')
      .choices(['markdown', 'html', 'json'])
      .default('markdown'),
  )
  .option('--out <file>', 'write to this file instead of standard output')
  .action(async (opts) => {
    // Checked first: `--version abc` used to reach the database as NaN and fail with
    // 'invalid input syntax for type integer: "NaN"'.
    const version = wholeNumber(opts.version, '--version');
    await withRuntime(opts, async (rt) => {
      const v = await rt.services.agreements.version(systemContext(), opts.id, version);
      const text =
        opts.format === 'html' ? renderHtml(v) : opts.format === 'json' ? renderJson(v) : renderMarkdown(v);
      if (opts.out) fs.writeFileSync(opts.out, text);
      else out(text);
    });
  });
agreement
  .command('verify <file>')
  .description('Recompute the SHA-256 digest of an exported agreement version')
  .action((file: string) => {
    const r = verifyExport(fs.readFileSync(file, 'utf8'));
    if (!r.ok) throw new CliError(`${file}: ${r.message}`, 1);
    out(`${file}: ${r.message}\n`);
  });

const audit = program.command('audit').description('The audit trail');
storeOptions(
  audit.command('verify').description('Recompute the audit hash chains; names the first broken entry'),
)
  .option('--org <id>', 'only this organisation')
  .action(async (opts) =>
    withRuntime(opts, async (rt) => {
      const { auditRepo } = await import('../modules/audit/audit.repo.ts');
      // An unknown --org used to be reported as "0 entries, chain intact": say it does not exist.
      if (opts.org) await rt.services.orgs.get(systemContext(), opts.org);
      const ids = opts.org ? [opts.org as string] : await auditRepo.orgIdsToVerify(rt.database.db);
      let broken = 0;
      for (const id of ids) {
        const r = await (await import('../modules/audit/audit.service.ts')).verifyStored(rt.database.db, id);
        if (r.ok) out(`org ${id}: ${r.entries} entries, chain intact\n`);
        else {
          broken++;
          process.stderr.write(`org ${id}: chain broken at entry ${r.firstBrokenSeq}: ${r.reason}\n`);
        }
      }
      if (broken) throw new CliError(`${broken} audit chain(s) broken`, 1);
    }),
  );

registerLogsCommands(program, { storeOptions, wholeNumber });
registerDetectionCommands(program, { storeOptions, wholeNumber });
registerInventoryCommands(program, storeOptions);
registerEvidenceCommands(program);
registerOscalCommands(program);
registerReportCommands(program);
registerSupplierCommands(program, storeOptions);
registerMailCommands(program, storeOptions);
registerIrCommands(program, { storeOptions, wholeNumber });

const mfa = program.command('mfa').description('MFA helpers');
mfa
  .command('code')
  .description('Print the current TOTP code for a secret (as an authenticator app would)')
  .requiredOption('--secret <base32>', 'the TOTP secret')
  .action((opts) => out(totpCode(opts.secret, stepAt(Date.now())) + '\n'));

// A reader that stops early (`accord catalog list | head`) is not an error: the rest of the output
// is dropped instead of the process dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as Error;
  const msg =
    e instanceof CatalogLoadError
      ? `the control catalog is broken: ${err.message}`
      : e instanceof AppError
        ? `${e.code}: ${e.message}`
        : err.message;
  process.stderr.write(`accord: ${msg}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
