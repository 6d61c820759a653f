import type { Catalog } from '@accord/contracts';
import type { Config } from './platform/config.ts';
import { openEmbedded, openPostgres, type Database, type Db } from './platform/db/db.ts';
import { migrate } from './platform/db/migrate.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { loadOrCreateSecretKey } from './platform/secrets.ts';
import { buildApp } from './platform/http/app.ts';
import { createAuditService } from './modules/audit/audit.service.ts';
import { auditRoutes } from './modules/audit/audit.routes.ts';
import { createUsersService } from './modules/users/users.service.ts';
import { usersRoutes } from './modules/users/users.routes.ts';
import { createOrgsService } from './modules/orgs/orgs.service.ts';
import { orgsRoutes } from './modules/orgs/orgs.routes.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { authRoutes } from './modules/auth/auth.routes.ts';
import { createTokensService } from './modules/tokens/tokens.service.ts';
import { tokensRoutes } from './modules/tokens/tokens.routes.ts';
import { createCatalogService } from './modules/catalog/catalog.service.ts';
import { catalogRoutes } from './modules/catalog/catalog.routes.ts';
import { loadCatalog, DEFAULT_CATALOG_FILE } from './modules/catalog/catalog.loader.ts';
import { createAgreementsService } from './modules/agreements/agreements.service.ts';
import { agreementsRoutes } from './modules/agreements/agreements.routes.ts';
import { landingRoutes } from './modules/health/landing.routes.ts';
import { createSourcesService } from './modules/telemetry/sources.service.ts';
import { createIngestService } from './modules/telemetry/ingest.service.ts';
import { createLogsService } from './modules/telemetry/logs.service.ts';
import { telemetryRoutes } from './modules/telemetry/telemetry.routes.ts';
import { parserFor, validateMapping } from './modules/telemetry/parsers/registry.ts';
import { createMspAccountResolver } from './modules/telemetry/msp-accounts.ts';
import { startSyslogListeners } from './modules/telemetry/syslog-listener.ts';
import { createRetentionService, startRetentionJob } from './modules/telemetry/retention.service.ts';
import { createCoverageService } from './modules/telemetry/coverage.service.ts';
import { createQuarantineService } from './modules/telemetry/quarantine.service.ts';
import { createGroupsService } from './modules/identity/groups.service.ts';
import { identityRoutes } from './modules/identity/identity.routes.ts';
import {
  createVerificationService,
  startVerificationJob,
  verificationConcurrency,
} from './modules/verification/verification.service.ts';
import { verificationRoutes } from './modules/verification/verification.routes.ts';
import { BUILTIN_RULES_DIR, loadEngine, type EngineModule } from './modules/detection/engine-port.ts';
import { readBuiltinRules } from './modules/detection/rule-docs.ts';
import { createRulesService } from './modules/detection/rules.service.ts';
import { createDetectionSettingsResolver } from './modules/detection/tenant-context.ts';
import { createDetectionStream } from './modules/detection/detection-stream.ts';
import { createAlertsService } from './modules/detection/alerts.service.ts';
import { createHistoryService } from './modules/detection/history.service.ts';
import {
  createNotificationsService,
  startNotificationJob,
} from './modules/detection/notifications.service.ts';
import { createSilenceCheck, startSilenceJob } from './modules/detection/silence.job.ts';
import { detectionRoutes } from './modules/detection/detection.routes.ts';
import { enqueueDrift } from './modules/detection/drift-notify.ts';
import { createInventoryService } from './modules/inventory/inventory.service.ts';
import { createKevService } from './modules/inventory/kev.service.ts';
import { inventoryRoutes } from './modules/inventory/inventory.routes.ts';
import { IMPORT_MAX_BYTES } from '@accord/contracts';
import { createEvidenceService } from './modules/evidence/evidence.service.ts';
import { createAttestationsService } from './modules/evidence/attestations.service.ts';
import { createEvidenceExpiryService, startEvidenceExpiryJob } from './modules/evidence/evidence-expiry.ts';
import { evidenceRoutes } from './modules/evidence/evidence.routes.ts';
import { createOscalService } from './modules/oscal/oscal.service.ts';
import { oscalRoutes } from './modules/oscal/oscal.routes.ts';
import { createReportsService } from './modules/reports/reports.service.ts';
import { reportsRoutes } from './modules/reports/reports.routes.ts';
import { deriveSigningKey } from './platform/signing.ts';
import { createSuppliersService } from './modules/suppliers/suppliers.service.ts';
import { createAssessmentsService } from './modules/suppliers/assessments.service.ts';
import { createRankingService } from './modules/suppliers/ranking.service.ts';
import { suppliersRoutes } from './modules/suppliers/suppliers.routes.ts';
import { createDnsClient } from './modules/mail/mail-dns.ts';
import { createMailService, startMailCheckJob } from './modules/mail/mail.service.ts';
import { mailRoutes } from './modules/mail/mail.routes.ts';
import { createAwarenessService } from './modules/inventory/awareness.service.ts';
import { awarenessRoutes } from './modules/inventory/awareness.routes.ts';
import { createActionsService } from './modules/incidents/actions.service.ts';
import { createPlansService } from './modules/incidents/plans.service.ts';
import { createIncidentsService } from './modules/incidents/incidents.service.ts';
import { createExercisesService } from './modules/incidents/exercises.service.ts';
import { planRoutes } from './modules/incidents/plans.routes.ts';
import { incidentRoutes } from './modules/incidents/incidents.routes.ts';
import { exerciseRoutes } from './modules/incidents/exercises.routes.ts';

/** The composition root: factories wired by hand, one line per service. */
export function createServices(
  db: Db,
  config: Config,
  secretKey: Buffer,
  catalogData: Catalog,
  engine: EngineModule,
) {
  const audit = createAuditService({ db });
  const users = createUsersService({ db, audit });
  const orgs = createOrgsService({ db, audit, users });
  const auth = createAuthService({ db, audit, config, secretKey });
  const tokens = createTokensService({ db, audit });
  const catalog = createCatalogService(catalogData);
  const agreements = createAgreementsService({ db, audit, catalog });
  const sources = createSourcesService({ db, audit, validateMapping });
  const groups = createGroupsService({ db, audit, onChange: (orgId) => mspAccounts.forget(orgId) });
  const mspAccounts = createMspAccountResolver(db, groups.membersOf);
  const detectionSettings = createDetectionSettingsResolver(db);
  const rules = createRulesService({ db, audit, engine, builtin: readBuiltinRules(BUILTIN_RULES_DIR) });
  const stream = createDetectionStream({ rules, settings: detectionSettings });
  // Notifications are sent soon after the batch that raised the alert commits (the job pokes).
  const notifyHooks: { poke: () => void } = { poke: () => undefined };
  const ingest = createIngestService({
    db,
    parserFor,
    mspAccounts,
    detection: { onBatch: stream.onBatch, afterCommit: () => notifyHooks.poke() },
  });
  const alerts = createAlertsService({ db, audit });
  const history = createHistoryService({ db, engine, rules, settings: detectionSettings });
  const notifications = createNotificationsService({
    db,
    audit,
    secretKey,
    smtpUrl: config.smtpUrl,
    smtpFrom: config.smtpFrom,
    retryBaseMs: config.notifyRetryBaseSeconds * 1000,
  });
  const silence = createSilenceCheck({ db, settings: detectionSettings });
  const logs = createLogsService({ db });
  const retention = createRetentionService({ db, audit });
  const coverage = createCoverageService({ db, retention });
  const quarantine = createQuarantineService({ db, ingest, audit });
  const evidence = createEvidenceService({ db, audit });
  const attestations = createAttestationsService({ db, audit });
  const verification = createVerificationService({
    db,
    audit,
    concurrency: verificationConcurrency(config),
    attestationOf: (agreementId, controlId, at) => attestations.attestationState(agreementId, controlId, at),
    onDrift: async (tx, d) => {
      const queued = await enqueueDrift(tx, {
        ...d,
        reason: d.result.reason,
        observed: d.result.observed,
        evidence: d.result.evidence,
        slaHours: d.notificationSlaHours,
      });
      if (queued > 0) notifyHooks.poke();
    },
  });
  const inventory = createInventoryService({ db, audit, mspAccounts });
  const kev = createKevService({ db, audit });
  const evidenceExpiry = createEvidenceExpiryService({ db, audit, windowDays: config.evidenceWarningDays });
  const oscal = createOscalService({ catalog, agreements, verification });
  const reports = createReportsService({
    db,
    audit,
    agreements,
    verification,
    coverage,
    signingKey: deriveSigningKey(secretKey),
  });
  const suppliers = createSuppliersService({ db, audit });
  const supplierAssessments = createAssessmentsService({ db, audit, catalog });
  const supplierRanking = createRankingService({ db });
  const dns = createDnsClient({ servers: config.dnsServers, timeoutMs: config.dnsTimeoutMs, tries: 2 });
  const mail = createMailService({ db, audit, dns });
  const awareness = createAwarenessService({ db });
  // Incident response: plans, incidents, exercises and their follow-up actions.
  const irActions = createActionsService({ db, audit });
  const plans = createPlansService({ db, audit });
  const incidents = createIncidentsService({ db, audit, actions: irActions });
  const exercises = createExercisesService({ db, audit, actions: irActions });
  return {
    audit,
    users,
    orgs,
    auth,
    tokens,
    catalog,
    agreements,
    sources,
    ingest,
    logs,
    retention,
    coverage,
    quarantine,
    groups,
    verification,
    detectionSettings,
    rules,
    alerts,
    history,
    notifications,
    notifyHooks,
    silence,
    inventory,
    kev,
    evidence,
    attestations,
    evidenceExpiry,
    oscal,
    reports,
    suppliers,
    supplierAssessments,
    supplierRanking,
    mail,
    awareness,
    irActions,
    plans,
    incidents,
    exercises,
  };
}
export type Services = ReturnType<typeof createServices>;

export async function openDatabase(config: Config): Promise<Database> {
  return config.databaseUrl
    ? openPostgres(config.databaseUrl, config.dbPoolSize)
    : openEmbedded(config.dataDir);
}

export interface Runtime {
  config: Config;
  database: Database;
  services: Services;
  logger: Logger;
  close(): Promise<void>;
}

/** Opens the store, applies migrations (unless skipped), loads the catalog: everything but HTTP. */
export async function openRuntime(config: Config, logger = createLogger(config.logLevel)): Promise<Runtime> {
  // The catalog is validated before anything else: a broken file stops start-up with its line.
  const catalog = loadCatalog(config.catalogFile ?? DEFAULT_CATALOG_FILE);
  const secretKey = loadOrCreateSecretKey(config.dataDir, config.secretKey);
  const database = await openDatabase(config);
  try {
    if (!config.skipMigrations) {
      const r = await migrate(database.db);
      logger.info(
        { applied: r.applied, alreadyApplied: r.alreadyApplied, database: database.describe },
        'migrations checked',
      );
    }
  } catch (e) {
    await database.close();
    throw e;
  }
  const services = createServices(database.db, config, secretKey, catalog, loadEngine());
  return { config, database, services, logger, close: () => database.close() };
}

/** Starts the HTTP server on the runtime; SIGTERM/SIGINT drain requests, then close the store. */
export async function startHttp(rt: Runtime, opts: { handleSignals?: boolean } = {}) {
  let stopping = false;
  const app = await buildApp({
    services: rt.services,
    logger: rt.logger,
    trustProxy: rt.config.trustProxy,
    readiness: () => ({
      ready: !stopping,
      checks: {
        database: rt.database.kind,
        mode: rt.config.mode,
        ...(stopping ? { shutdown: 'in progress' } : {}),
      },
    }),
  });
  // A worker serves only the health probes; its work is background jobs (none yet in this release).
  if (rt.config.mode !== 'worker') {
    authRoutes(app, {
      auth: rt.services.auth,
      users: rt.services.users,
      absoluteHours: rt.config.sessionAbsoluteHours,
    });
    orgsRoutes(app, rt.services);
    usersRoutes(app, rt.services);
    tokensRoutes(app, rt.services);
    auditRoutes(app, rt.services);
    catalogRoutes(app, rt.services);
    agreementsRoutes(app, rt.services);
    telemetryRoutes(app, {
      ...rt.services,
      ingestMaxBytes: rt.config.ingestMaxBytes,
      ingestRatePerSource: rt.config.ingestRatePerSource,
    });
    identityRoutes(app, rt.services);
    verificationRoutes(app, rt.services);
    detectionRoutes(app, rt.services);
    inventoryRoutes(app, { ...rt.services, importMaxBytes: IMPORT_MAX_BYTES });
    evidenceRoutes(app, { ...rt.services, evidenceMaxBytes: rt.config.evidenceMaxBytes });
    oscalRoutes(app, rt.services);
    reportsRoutes(app, rt.services);
    suppliersRoutes(app, rt.services);
    mailRoutes(app, rt.services);
    awarenessRoutes(app, rt.services);
    planRoutes(app, rt.services);
    incidentRoutes(app, rt.services);
    exerciseRoutes(app, rt.services);
    landingRoutes(app);
  }
  // Background jobs run in `all` and `worker` processes; an interval of 0 turns one off.
  const job = (interval: number, start: (ms: number) => () => Promise<void>, unitMs: number) =>
    rt.config.mode === 'api' || interval === 0 ? null : start(interval * unitMs);
  const logger = rt.logger;
  const stopRetention = job(
    rt.config.retentionIntervalMinutes,
    (intervalMs) => startRetentionJob(rt.services.retention, { logger, intervalMs }),
    60_000,
  );
  const stopVerification = job(
    rt.config.verifyIntervalSeconds,
    (intervalMs) => startVerificationJob(rt.services.verification, { logger, intervalMs }),
    1000,
  );
  const stopSilence = job(
    rt.config.silenceIntervalMinutes,
    (intervalMs) => startSilenceJob(rt.services.silence, { logger, intervalMs }),
    60_000,
  );
  const stopEvidenceExpiry = job(
    rt.config.evidenceExpiryIntervalMinutes,
    (intervalMs) => startEvidenceExpiryJob(rt.services.evidenceExpiry, { logger, intervalMs }),
    60_000,
  );
  const stopMailCheck = job(
    rt.config.mailCheckIntervalMinutes,
    (intervalMs) => startMailCheckJob(rt.services.mail, { logger, intervalMs }),
    60_000,
  );
  // Alert notifications are delivered by every process that raises them (also on a poke).
  const notifier =
    rt.config.notifyIntervalSeconds === 0
      ? null
      : startNotificationJob(rt.services.notifications, {
          logger,
          intervalMs: rt.config.notifyIntervalSeconds * 1000,
        });
  if (notifier) rt.services.notifyHooks.poke = notifier.poke;
  await app.listen({ host: rt.config.host, port: rt.config.port });
  const wantSyslog = rt.config.syslogUdpPort !== undefined || rt.config.syslogTcpPort !== undefined;
  const syslog =
    rt.config.mode !== 'worker' && wantSyslog
      ? await startSyslogListeners(
          { sources: rt.services.sources, ingest: rt.services.ingest, logger: rt.logger },
          {
            host: rt.config.host,
            udpPort: rt.config.syslogUdpPort,
            tcpPort: rt.config.syslogTcpPort,
            defaultToken: rt.config.syslogSourceToken,
          },
        )
      : null;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : rt.config.port;

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    await stopRetention?.(); // waits for a run in progress; it needs the database
    await stopVerification?.();
    await stopSilence?.();
    rt.services.notifyHooks.poke = () => undefined;
    await notifier?.stop();
    await stopEvidenceExpiry?.();
    await stopMailCheck?.();
    const timer = setTimeout(() => {
      rt.logger.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, rt.config.shutdownGraceSeconds * 1000);
    timer.unref();
    await app.close();
    await syslog?.stop(); // stores what the listeners buffered; needs the database open
    // Fastify does not wait for handlers whose client disconnected; the store closes after them.
    while (app.accordBusy() > 0) await new Promise((r) => setTimeout(r, 20));
    await rt.close();
    clearTimeout(timer);
  }
  if (opts.handleSignals) {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        rt.logger.info({ signal: sig }, 'shutting down');
        stop().then(
          () => process.exit(0),
          (e) => {
            rt.logger.error({ err: e }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  return { app, port, url: `http://${rt.config.host}:${port}`, syslog, stop };
}
