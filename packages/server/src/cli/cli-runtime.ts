import { ConfigError, loadConfig, type Config } from '../platform/config.ts';
import type { Runtime } from '../server.ts';

/** Options every command that touches the store accepts; they override the environment. */
export interface StoreFlags {
  dataDir?: string;
  databaseUrl?: string;
  skipMigrations?: boolean;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function configFrom(flags: Partial<Record<keyof Config, unknown>>): Config {
  try {
    return loadConfig(process.env, flags);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
}

/** Opens the store for a one-shot command (quiet logs), runs `fn`, always closes. */
export async function withRuntime<T>(flags: StoreFlags, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const config = configFrom({ ...flags, logLevel: process.env.ACCORD_LOG_LEVEL ?? 'warn' });
  const { createLogger } = await import('../platform/logger.ts');
  const { openRuntime } = await import('../server.ts');
  const rt = await openRuntime(config, createLogger(config.logLevel, process.stderr as never));
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
