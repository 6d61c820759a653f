import { z } from 'zod';
import path from 'node:path';
import { isIP } from 'node:net';

/**
 * The one configuration schema. Read once at boot from the environment with command-line flags laid
 * over it. A bad value never falls back silently: every bad variable is listed and start-up stops.
 */
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
/** "1.2.3.4", "1.2.3.4:53", "::1" or "[::1]:53", as dns.Resolver#setServers takes them. */
function dnsServerOk(s: string): boolean {
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
  const [host, port] = v6 ? [v6[1]!, v6[2]] : isIP(s) === 6 ? [s, undefined] : s.split(':');
  return isIP(host ?? '') !== 0 && (port === undefined || (Number(port) >= 1 && Number(port) <= 65535));
}
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const ConfigSchema = z.object({
  mode: z.enum(['all', 'api', 'worker']).default('all'),
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65535).default(8080),
  dataDir: z.string().min(1).default('.accord-data'),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  dbPoolSize: int(1, 200).default(10),
  skipMigrations: bool.default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  trustProxy: bool.default(false),
  publicUrl: z.string().url().optional(),
  catalogFile: z.string().min(1).optional(),
  secretKey: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 64 hex characters (32 bytes)')
    .optional(),
  sessionIdleMinutes: int(1, 24 * 60).default(30),
  sessionAbsoluteHours: int(1, 24 * 30).default(12),
  loginMaxFailures: int(1, 100).default(5),
  loginLockoutMinutes: int(1, 24 * 60).default(15),
  loginIpMaxFailures: int(1, 10_000).default(30),
  shutdownGraceSeconds: int(1, 600).default(10),
  /** Largest ingest request body (after gzip, the decompressed size may be 8 times this). */
  ingestMaxBytes: int(1024, 256 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Ingest requests per second allowed to one source (bursts of twice this). */
  ingestRatePerSource: int(1, 100_000).default(50),
  /** How often the log retention job runs in `all` and `worker` processes; 0 turns it off. */
  retentionIntervalMinutes: int(0, 10_080).default(60),
  verifyIntervalSeconds: int(0, 86_400).default(60),
  /** How often the source-silence check runs in `all` and `worker` processes; 0 turns it off. */
  silenceIntervalMinutes: int(0, 1440).default(5),
  /** How often pending alert notifications are tried (they are also tried as soon as an alert opens). */
  notifyIntervalSeconds: int(0, 3600).default(10),
  /** First retry delay of a failed notification; it doubles with each attempt (capped at an hour). */
  notifyRetryBaseSeconds: z.coerce.number().min(0).max(3600).default(30),
  /** SMTP server for e-mail alert channels, e.g. smtp://user:pass@mail.example:587. */
  smtpUrl: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  smtpFrom: z.string().min(3).default('Accord <accord@localhost>'),
  /** Largest evidence file accepted in one upload. */
  evidenceMaxBytes: int(1024, 256 * 1024 * 1024).default(10 * 1024 * 1024),
  /** How often the evidence expiry job records warnings (`all` and `worker`); 0 turns it off. */
  evidenceExpiryIntervalMinutes: int(0, 10_080).default(1440),
  /** How many days before expiry evidence is warned about. */
  evidenceWarningDays: int(1, 366).default(30),
  /** Syslog listeners (off unless a port is set; 0 picks a free port). */
  syslogUdpPort: int(0, 65535).optional(),
  syslogTcpPort: int(0, 65535).optional(),
  /** The ingest token of the source that syslog messages without their own token go to. */
  syslogSourceToken: z
    .string()
    .regex(/^acs_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/, 'must be a log source ingest token (acs_...)')
    .optional(),
  /** DNS servers the mail-domain check asks ("127.0.0.1", "127.0.0.1:5353", "[::1]:53"); unset: the system's. */
  dnsServers: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .refine(
      (list) => list.every(dnsServerOk),
      'must be IP addresses, each optionally with :port (comma-separated)',
    )
    .default([]),
  /** How long one DNS query may take before it counts as a timeout (an error, never a pass). */
  dnsTimeoutMs: int(100, 60_000).default(5000),
  /** How often each mail domain's DNS is checked (`all` and `worker`); 0 turns the job off. */
  mailCheckIntervalMinutes: int(0, 10_080).default(1440),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Environment variable of every config key: the README's configuration table lists the same. */
export const ENV_NAMES: Record<keyof Config, string> = {
  mode: 'ACCORD_MODE',
  host: 'ACCORD_HOST',
  port: 'ACCORD_PORT',
  dataDir: 'ACCORD_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  dbPoolSize: 'ACCORD_DB_POOL_SIZE',
  skipMigrations: 'ACCORD_SKIP_MIGRATIONS',
  logLevel: 'ACCORD_LOG_LEVEL',
  trustProxy: 'ACCORD_TRUST_PROXY',
  publicUrl: 'ACCORD_PUBLIC_URL',
  catalogFile: 'ACCORD_CATALOG_FILE',
  secretKey: 'ACCORD_SECRET_KEY',
  sessionIdleMinutes: 'ACCORD_SESSION_IDLE_MINUTES',
  sessionAbsoluteHours: 'ACCORD_SESSION_ABSOLUTE_HOURS',
  loginMaxFailures: 'ACCORD_LOGIN_MAX_FAILURES',
  loginLockoutMinutes: 'ACCORD_LOGIN_LOCKOUT_MINUTES',
  loginIpMaxFailures: 'ACCORD_LOGIN_IP_MAX_FAILURES',
  shutdownGraceSeconds: 'ACCORD_SHUTDOWN_GRACE_SECONDS',
  ingestMaxBytes: 'ACCORD_INGEST_MAX_BYTES',
  ingestRatePerSource: 'ACCORD_INGEST_RATE_PER_SOURCE',
  retentionIntervalMinutes: 'ACCORD_RETENTION_INTERVAL_MINUTES',
  verifyIntervalSeconds: 'ACCORD_VERIFY_INTERVAL_SECONDS',
  silenceIntervalMinutes: 'ACCORD_SILENCE_INTERVAL_MINUTES',
  notifyIntervalSeconds: 'ACCORD_NOTIFY_INTERVAL_SECONDS',
  notifyRetryBaseSeconds: 'ACCORD_NOTIFY_RETRY_BASE_SECONDS',
  smtpUrl: 'ACCORD_SMTP_URL',
  smtpFrom: 'ACCORD_SMTP_FROM',
  evidenceMaxBytes: 'ACCORD_EVIDENCE_MAX_BYTES',
  evidenceExpiryIntervalMinutes: 'ACCORD_EVIDENCE_EXPIRY_INTERVAL_MINUTES',
  evidenceWarningDays: 'ACCORD_EVIDENCE_WARNING_DAYS',
  syslogUdpPort: 'ACCORD_SYSLOG_UDP_PORT',
  syslogTcpPort: 'ACCORD_SYSLOG_TCP_PORT',
  syslogSourceToken: 'ACCORD_SYSLOG_SOURCE_TOKEN',
  dnsServers: 'ACCORD_DNS_SERVERS',
  dnsTimeoutMs: 'ACCORD_DNS_TIMEOUT_MS',
  mailCheckIntervalMinutes: 'ACCORD_MAIL_CHECK_INTERVAL_MINUTES',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Builds the configuration from `env` with `flags` (already named by config key) taking precedence.
 * Empty environment values count as unset. Throws ConfigError listing every bad variable.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  flags: Partial<Record<keyof Config, unknown>> = {},
): Config {
  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      raw[key] = v;
      origin[key] = name;
    }
  }
  for (const [key, v] of Object.entries(flags)) {
    if (v !== undefined) {
      raw[key] = v;
      origin[key] = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    }
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0]);
      const name = origin[key] ?? ENV_NAMES[key as keyof Config] ?? key;
      const shown =
        key === 'secretKey' || key === 'databaseUrl' || key === 'smtpUrl'
          ? '(value hidden)'
          : JSON.stringify(raw[key]);
      return `${name}=${shown}: ${i.message}`;
    });
    throw new ConfigError(problems);
  }
  const cfg = parsed.data;
  // `memory://` keeps the embedded database in memory (tests, throw-away runs).
  if (cfg.dataDir !== 'memory://') cfg.dataDir = path.resolve(cfg.dataDir);
  return cfg;
}
