import pino, { type Logger } from 'pino';

/** Paths never written to logs: credentials, tokens, cookies, MFA codes. */
const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'code',
  'token',
  'secret',
  'secretKey',
  'databaseUrl',
];

/** Paths never written to logs: credentials, tokens, cookies, MFA codes, at the top level and two
 * levels down (pino's wildcards match exactly one level each). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'accord' } },
    destination,
  );
}
export type { Logger };
