import fs from 'node:fs';
import { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import { CRITICALITIES, SUPPLIER_KINDS, SupplierBody } from '@accord/contracts';
import { systemContext } from '../platform/context.ts';
import type { Runtime } from '../server.ts';
import { CliError, withRuntime, type StoreFlags } from './cli-runtime.ts';

/**
 * `accord supplier list|add|import|review|rank|questionnaire`: a tenant's supplier register, acted on
 * in the store as the system operator (audited as "system (cli)"). Sign-offs are not here: a
 * sign-off is a named member's act, given over the API (docs/supply-chain.md).
 */
type Flags = StoreFlags & { tenant: string; json?: boolean };
const print = (v: unknown) => void process.stdout.write(JSON.stringify(v, null, 2) + '\n');
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const tenantOf = (o: { tenant: string }) => {
  if (!UUID_RE.test(o.tenant))
    throw new CliError(`--tenant must be an organisation id, not ${JSON.stringify(o.tenant)}`, 2);
  return o.tenant;
};
/** Checks --tenant before the store is opened: a usage error exits 2 without touching it. */
function inStore<T>(o: Flags, fn: (rt: Runtime, org: string) => Promise<T>): Promise<T> {
  const org = tenantOf(o);
  return withRuntime(o, (rt) => fn(rt, org));
}
const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(/[;,]/)
        .map((x) => x.trim())
        .filter(Boolean);

/** The CSV columns of a register file (lists separated by ";"); see docs/supply-chain.md. */
const COLUMNS: Record<string, string> = {
  name: 'name',
  kind: 'kind',
  criticality: 'criticality',
  services: 'services',
  products: 'products',
  privileged_access: 'privilegedAccess',
  access_description: 'accessDescription',
  data_categories: 'dataCategories',
  contract_start: 'contractStart',
  contract_end: 'contractEnd',
  published: 'published',
  msp_org_id: 'mspOrgId',
  notes: 'notes',
};
const LISTS = new Set(['services', 'products', 'dataCategories']);
const BOOLS = new Set(['privilegedAccess', 'published']);
const TRUE = new Set(['yes', 'true', '1', 'y']);
const FALSE = new Set(['no', 'false', '0', 'n']);

/** A register file as entries with their position: CSV (line numbers) or a JSON array (entry numbers). */
async function readEntries(file: string): Promise<{ at: number; raw: unknown }[]> {
  if (!fs.existsSync(file)) throw new CliError(`${file}: no such file`, 2);
  if (/\.json$/i.test(file)) {
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new CliError(`${file} is not valid JSON: ${(e as Error).message}`, 2);
    }
    const arr = Array.isArray(data) ? data : (data as { suppliers?: unknown })?.suppliers;
    if (!Array.isArray(arr))
      throw new CliError(`${file}: expected an array of suppliers (or {"suppliers": [...]})`, 2);
    return arr.map((raw, i) => ({ at: i + 1, raw }));
  }
  if (!/\.csv$/i.test(file)) throw new CliError(`${file}: a register file is .csv or .json`, 2);
  const { readCsv } = await import('../modules/inventory/csv.ts');
  const out: { at: number; raw: unknown }[] = [];
  let header: string[] | null = null;
  for await (const rec of readCsv(Readable.from([fs.readFileSync(file)]))) {
    if (!header) {
      header = rec.fields.map((h) => h.trim().toLowerCase());
      const unknown = header.filter((h) => !COLUMNS[h]);
      if (unknown.length)
        throw new CliError(
          `${file} line 1: unknown column(s) ${unknown.join(', ')}; the columns are ${Object.keys(COLUMNS).join(', ')}`,
          2,
        );
      continue;
    }
    const raw: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const key = COLUMNS[h]!;
      const v = (rec.fields[i] ?? '').trim();
      if (v === '') return;
      const low = v.toLowerCase();
      raw[key] = LISTS.has(key)
        ? list(v)
        : BOOLS.has(key)
          ? TRUE.has(low)
            ? true
            : FALSE.has(low)
              ? false
              : v // left as text: the entry is refused with the column named
          : v;
    });
    out.push({ at: rec.line, raw });
  }
  return out;
}

interface AddOptions extends Flags {
  name: string;
  kind: string;
  criticality: string;
  services?: string;
  products?: string;
  privilegedAccess?: boolean;
  data?: string;
  contractStart?: string;
  contractEnd?: string;
  publish?: boolean;
  mspOrg?: string;
  notes?: string;
}

export function registerSupplierCommands(program: Command, storeOptions: (cmd: Command) => Command): void {
  const ctx = () => systemContext();
  const supplier = program
    .command('supplier')
    .description("A tenant's supplier register: list, add, import, review, the ranked view");
  const tenant = (cmd: Command) =>
    storeOptions(cmd).requiredOption('--tenant <orgId>', 'the organisation whose register it is');

  tenant(supplier.command('list').description('The register, one supplier a line'))
    .option('--all', 'include retired entries')
    .option('--json', 'print the entries as JSON')
    .action((o: Flags & { all?: boolean }) =>
      inStore(o, async (rt, org) => {
        const rows = await rt.services.suppliers.list(ctx(), org, Boolean(o.all));
        if (o.json) return print(rows);
        for (const s of rows)
          process.stdout.write(
            [
              s.id,
              s.criticality,
              s.kind,
              s.published ? 'published' : '-',
              s.retired_at ? 'retired' : 'active',
              s.name,
            ].join('\t') + '\n',
          );
      }),
    );

  tenant(supplier.command('add').description('Add a supplier to the register'))
    .requiredOption('--name <name>', 'the supplier')
    .addOption(
      new Option('--kind <kind>', 'msp, supplier or sub_processor')
        .choices([...SUPPLIER_KINDS])
        .default('supplier'),
    )
    .addOption(
      new Option('--criticality <level>', 'how critical it is')
        .choices([...CRITICALITIES])
        .makeOptionMandatory(),
    )
    .option('--services <list>', 'services it provides (comma-separated)')
    .option('--products <list>', 'products and tools it supplies, as inventories name them')
    .option('--privileged-access', 'it has privileged access to the networks or systems')
    .option('--data <list>', 'data categories it holds (personal, financial, credentials, ...)')
    .option('--contract-start <date>', 'YYYY-MM-DD')
    .option('--contract-end <date>', 'YYYY-MM-DD')
    .option('--publish', "an MSP's entry shown to its customers")
    .option('--msp-org <orgId>', 'for --kind msp: the MSP organisation it stands for')
    .option('--notes <text>', 'notes')
    .action((o: AddOptions) => {
      const parsed = SupplierBody.safeParse({
        name: o.name,
        kind: o.kind,
        criticality: o.criticality,
        services: list(o.services) ?? [],
        products: list(o.products) ?? [],
        privilegedAccess: Boolean(o.privilegedAccess),
        dataCategories: list(o.data) ?? [],
        contractStart: o.contractStart,
        contractEnd: o.contractEnd,
        published: Boolean(o.publish),
        mspOrgId: o.mspOrg,
        notes: o.notes,
      });
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new CliError(`${i.path.join('/') || 'supplier'}: ${i.message}`, 2);
      }
      return inStore(o, async (rt, org) =>
        print(await rt.services.suppliers.create(ctx(), org, parsed.data)),
      );
    });

  tenant(
    supplier
      .command('import <file>')
      .description(
        'Add the suppliers in a CSV or JSON file; bad entries are reported with their line and reason',
      ),
  ).action(async (file: string, o: Flags) => {
    tenantOf(o);
    const entries = await readEntries(file);
    await inStore(o, async (rt, org) => {
      const r = await rt.services.suppliers.importEntries(ctx(), org, entries);
      print({
        added: r.added.map((s) => ({ id: s.id, name: s.name })),
        rejected: r.rejected.map((x) => ({
          [/\.csv$/i.test(file) ? 'line' : 'entry']: x.at,
          name: x.name,
          reason: x.reason,
        })),
      });
    });
  });

  tenant(supplier.command('review').description('Record a review of the register (SCR-01)'))
    .option('--note <text>', 'what the review covered')
    .action((o: Flags & { note?: string }) =>
      inStore(o, async (rt, org) => {
        const r = await rt.services.suppliers.review(ctx(), org, o.note);
        print({ orgId: r.orgId, reviewedAt: r.register?.reviewed_at, counts: r.counts });
      }),
    );

  tenant(
    supplier.command('rank').description('Suppliers ranked by residual risk x criticality, highest first'),
  )
    .option('--json', 'print the ranking as JSON')
    .action((o: Flags) =>
      inStore(o, async (rt, org) => {
        const ranked = await rt.services.supplierRanking.ranking(ctx(), org);
        const rows = ranked.map((r) => ({
          rank: r.rank,
          priority: r.priority,
          supplier: r.state.supplier.name,
          criticality: r.state.supplier.criticality,
          residual: r.residual ? `${r.residual.score} ${r.residual.band}` : null,
          basis: r.basis,
          assessment: r.state.state,
          openTreatments: r.openTreatments.length,
          lateTreatments: r.lateTreatments,
        }));
        if (o.json) return print(rows);
        for (const r of rows)
          process.stdout.write(
            `${r.rank}\t${r.priority}\t${r.criticality}\t${r.residual ?? '-'}\t${r.assessment}\t${r.openTreatments} open (${r.lateTreatments} late)\t${r.supplier}\n`,
          );
      }),
    );

  supplier
    .command('questionnaire')
    .description("The supplier questionnaire (the catalog's supply chain and MSP controls)")
    .option('--json', 'print it as JSON')
    .action(async (o: { json?: boolean }) => {
      const { loadCatalog, DEFAULT_CATALOG_FILE } = await import('../modules/catalog/catalog.loader.ts');
      const { questionnaireOf } = await import('../modules/suppliers/questionnaire.ts');
      const q = questionnaireOf(loadCatalog(process.env.ACCORD_CATALOG_FILE ?? DEFAULT_CATALOG_FILE));
      if (o.json) return print(q);
      for (const x of q.questions) process.stdout.write(`${x.controlId}\t${x.title}\n`);
    });
}
