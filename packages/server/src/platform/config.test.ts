import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has safe defaults: loopback, port 8080, embedded database, migrations on', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, mode: 'all', skipMigrations: false });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.secretKey).toBeUndefined(); // no default secret: generated into the data directory
  });

  it('lets flags override the environment', () => {
    const c = loadConfig({ ACCORD_PORT: '9000', ACCORD_MODE: 'api' }, { port: 9100 });
    expect(c.port).toBe(9100);
    expect(c.mode).toBe('api');
  });

  it('lists every bad variable by name and hides secret values', () => {
    try {
      loadConfig({
        ACCORD_PORT: 'abc',
        ACCORD_MODE: 'sideways',
        ACCORD_SKIP_MIGRATIONS: 'maybe',
        DATABASE_URL: 'mysql://u:hunter2@h/db',
        ACCORD_SECRET_KEY: 'short',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const err = e as ConfigError;
      const names = err.problems.map((p) => p.split('=')[0]);
      expect(names.sort()).toEqual([
        'ACCORD_MODE',
        'ACCORD_PORT',
        'ACCORD_SECRET_KEY',
        'ACCORD_SKIP_MIGRATIONS',
        'DATABASE_URL',
      ]);
      expect(err.message).not.toContain('hunter2');
      expect(err.message).not.toContain('short');
    }
  });

  it('names the flag when a flag is wrong', () => {
    expect(() => loadConfig({}, { port: 70000 })).toThrow(/--port/);
  });
});
