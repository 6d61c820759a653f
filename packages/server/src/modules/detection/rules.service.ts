import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/errors.ts';
import { requireTenant } from '../../platform/authz.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/db.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { errorText, type DetectionEngine, type EngineModule } from './engine-port.ts';
import { parseRuleDocs, toYaml, tuned, type RuleDoc, type Tuning } from './rule-docs.ts';

/**
 * The rules each tenant runs: the built-in rules, rules its MSPs added for all their customers
 * (while the relationship is active), and its own custom rules, each possibly disabled or tuned
 * for the tenant. Every change is compiled with the engine before it is saved: a rule set that does
 * not compile is refused with the engine's reasons, so ingest never meets a broken rule. Compiled
 * engines are cached per tenant and dropped on any rule change (and after a minute, for changes
 * another process made).
 */
type Origin = 'builtin' | 'custom' | 'msp';
interface TenantRule extends RuleDoc {
  origin: Origin;
}
interface SettingRow extends Tuning {
  enabled: boolean;
}
const TTL_MS = 60_000;

export type RulesService = ReturnType<typeof createRulesService>;

export function createRulesService({
  db,
  audit,
  engine,
  builtin,
}: {
  db: Db;
  audit: AuditService;
  engine: EngineModule;
  builtin: RuleDoc[];
}) {
  const cache = new Map<string, { at: number; engine: DetectionEngine; rules: number }>();

  async function rulesOf(
    ex: Executor,
    orgId: string,
  ): Promise<{ rules: TenantRule[]; settings: Map<string, SettingRow> }> {
    const stored = await ex
      .selectFrom('detection_rules')
      .select(['org_id', 'yaml'])
      .where((eb) =>
        eb.or([
          eb('org_id', '=', orgId),
          eb.and([
            eb('for_customers', '=', true),
            eb(
              'org_id',
              'in',
              eb
                .selectFrom('relationships')
                .select('msp_org_id')
                .where('customer_org_id', '=', orgId)
                .where('status', '=', 'active'),
            ),
          ]),
        ]),
      )
      .orderBy('created_at')
      .execute();
    const rules: TenantRule[] = builtin.map((r) => ({ ...r, origin: 'builtin' }));
    for (const s of stored)
      for (const d of parseRuleDocs(s.yaml))
        rules.push({ ...d, origin: s.org_id === orgId ? 'custom' : 'msp' });
    const rows = await ex
      .selectFrom('detection_rule_settings')
      .select(['rule_id', 'enabled', 'timespan', 'threshold', 'level'])
      .where('org_id', '=', orgId)
      .execute();
    return { rules, settings: new Map(rows.map((r) => [r.rule_id, r])) };
  }

  /**
   * Compiles the tenant's enabled rules (or the ones asked for) with their tuning; throws
   * validation_failed with the reasons. A rule they reference (`rules`, `unless`) that is disabled
   * or not asked for is compiled too, with `enabled: false`: it raises no alerts but still feeds
   * them, so disabling a rule never breaks another.
   */
  function compile(rules: TenantRule[], settings: Map<string, SettingRow>, only?: string[]) {
    const byRef = new Map<string, TenantRule>();
    for (const r of rules) {
      byRef.set(r.ruleId, r);
      if (typeof r.doc.name === 'string' && !byRef.has(r.doc.name)) byRef.set(r.doc.name, r);
    }
    const wanted = new Set(
      rules
        .filter((r) => (only ? only.includes(r.ruleId) : settings.get(r.ruleId)?.enabled !== false))
        .map((r) => r.ruleId),
    );
    const needed = new Set<string>();
    const need = (r: TenantRule | undefined): void => {
      if (!r || needed.has(r.ruleId)) return;
      needed.add(r.ruleId);
      const c = r.doc.correlation as { rules?: unknown; unless?: unknown } | undefined;
      for (const ref of [c?.rules, c?.unless].flat()) if (typeof ref === 'string') need(byRef.get(ref));
    };
    for (const id of wanted) need(byRef.get(id));
    const docs = rules
      .filter((r) => needed.has(r.ruleId))
      .map((r) => {
        const doc = tuned(r, settings.get(r.ruleId));
        return wanted.has(r.ruleId) ? doc : { ...doc, enabled: false };
      });
    const compiled = engine.compileRules(docs.length ? toYaml(docs) : '', { origin: 'tenant' });
    if (compiled.errors.length) {
      const errors = compiled.errors.map(errorText);
      throw new AppError('validation_failed', `the rules do not compile: ${errors.join('; ')}`, { errors });
    }
    return compiled.rules;
  }

  /** The tenant's compiled engine (cached). */
  async function engineFor(orgId: string, ex: Executor = db, now = Date.now()): Promise<DetectionEngine> {
    const hit = cache.get(orgId);
    if (hit && now - hit.at < TTL_MS) return hit.engine;
    // Inside the ingest transaction the caller passes it: the embedded database has one connection.
    const { rules, settings } = await rulesOf(ex, orgId);
    const compiled = compile(rules, settings);
    const e = engine.createEngine(compiled);
    cache.set(orgId, { at: now, engine: e, rules: compiled.length });
    return e;
  }
  /** Compiled rules only (history runs build their own engine). */
  async function compiledFor(orgId: string, only?: string[]) {
    const { rules, settings } = await rulesOf(db, orgId);
    return compile(rules, settings, only);
  }

  async function list(ctx: RequestContext, orgId: string) {
    await requireTenant(db, ctx, orgId, 'alerts:read');
    const { rules, settings } = await rulesOf(db, orgId);
    return rules.map((r) => {
      const s = settings.get(r.ruleId);
      return {
        ruleId: r.ruleId,
        title: r.title,
        level: r.level,
        origin: r.origin,
        kind: r.kind,
        enabled: s?.enabled !== false,
        tuning: {
          timespan: s?.timespan ?? null,
          threshold: s?.threshold ?? null,
          level: (s?.level ?? null) as typeof r.level,
        },
      };
    });
  }

  async function add(ctx: RequestContext, orgId: string, input: { yaml: string; forCustomers: boolean }) {
    const access = await requireTenant(db, ctx, orgId, 'rules:manage');
    const docs = parseRuleDocs(input.yaml);
    if (docs.length === 0) throw new AppError('validation_failed', 'the text holds no Sigma rule');
    if (input.forCustomers) {
      const org = await db.selectFrom('orgs').select('kind').where('id', '=', orgId).executeTakeFirst();
      if (org?.kind !== 'msp' || access === 'managed')
        throw new AppError('validation_failed', 'only an MSP can add a rule for all its customers');
    }
    return db.transaction().execute(async (tx) => {
      const { rules, settings } = await rulesOf(tx, orgId);
      const taken = new Set(rules.map((r) => r.ruleId));
      const seen = new Set<string>();
      for (const d of docs) {
        if (taken.has(d.ruleId) || seen.has(d.ruleId))
          throw new AppError('conflict', `a rule with id ${d.ruleId} already exists`);
        seen.add(d.ruleId);
      }
      compile([...rules, ...docs.map((d) => ({ ...d, origin: 'custom' as const }))], settings);
      const first = docs[0]!;
      const id = randomUUID();
      await tx
        .insertInto('detection_rules')
        .values({
          id,
          org_id: orgId,
          rule_id: first.ruleId,
          title: first.title,
          yaml: input.yaml,
          for_customers: input.forCustomers,
          created_by: ctx.actor.label,
        })
        .execute();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'detection_rule.added',
        targetType: 'detection_rule',
        targetId: id,
        after: { rules: docs.map((d) => d.ruleId), forCustomers: input.forCustomers },
      });
      invalidate(input.forCustomers ? null : orgId);
      return { added: docs.map((d) => d.ruleId) };
    });
  }

  async function tune(
    ctx: RequestContext,
    orgId: string,
    ruleId: string,
    change: { enabled?: boolean; timespan?: string | null; threshold?: number | null; level?: string | null },
  ) {
    await requireTenant(db, ctx, orgId, 'rules:manage');
    return db.transaction().execute(async (tx) => {
      // One tuning change at a time per tenant: the compile check sees the settings it replaces.
      await sql`select pg_advisory_xact_lock(hashtext(${`rules:${orgId}`}))`.execute(tx);
      const { rules, settings } = await rulesOf(tx, orgId);
      const rule = rules.find((r) => r.ruleId === ruleId);
      if (!rule) throw notFound('rule', ruleId);
      if ((change.timespan || change.threshold) && rule.kind !== 'correlation')
        throw new AppError(
          'validation_failed',
          `rule ${ruleId} is not a correlation rule: only its level can be tuned, or it can be disabled`,
        );
      const before = settings.get(ruleId) ?? { enabled: true, timespan: null, threshold: null, level: null };
      const after: SettingRow = {
        enabled: change.enabled ?? before.enabled,
        timespan: change.timespan === undefined ? before.timespan : change.timespan,
        threshold: change.threshold === undefined ? before.threshold : change.threshold,
        level: change.level === undefined ? before.level : change.level,
      };
      settings.set(ruleId, after);
      compile(rules, settings);
      await tx
        .insertInto('detection_rule_settings')
        .values({ org_id: orgId, rule_id: ruleId, ...after })
        .onConflict((oc) =>
          oc.columns(['org_id', 'rule_id']).doUpdateSet({ ...after, updated_at: new Date() }),
        )
        .execute();
      await audit.record(tx, ctx, {
        orgIds: [orgId],
        action: 'detection_rule.tuned',
        targetType: 'detection_rule',
        targetId: ruleId,
        before,
        after,
      });
      invalidate(orgId);
      const listed = { ...rule, ...after };
      return {
        ruleId,
        title: listed.title,
        level: rule.level,
        origin: rule.origin,
        kind: rule.kind,
        enabled: after.enabled,
        tuning: {
          timespan: after.timespan,
          threshold: after.threshold,
          level: after.level as typeof rule.level,
        },
      };
    });
  }

  /** Drops a tenant's compiled engine (null: every tenant's, after an MSP-wide rule change). */
  function invalidate(orgId: string | null) {
    if (orgId === null) cache.clear();
    else cache.delete(orgId);
  }

  return { list, add, tune, engineFor, compiledFor, invalidate };
}
