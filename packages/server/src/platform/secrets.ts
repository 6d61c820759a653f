import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Accord has no default secrets. The instance key (used to seal TOTP seeds) comes from
 * ACCORD_SECRET_KEY or is generated on first run into `<dataDir>/secret.key` with mode 0600.
 * Several processes sharing one PostgreSQL must share the key (set ACCORD_SECRET_KEY).
 */
export function loadOrCreateSecretKey(dataDir: string, fromConfig?: string): Buffer {
  if (fromConfig) return Buffer.from(fromConfig, 'hex');
  if (dataDir === 'memory://') return randomBytes(32); // nothing persists, so neither does the key
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'secret.key');
  try {
    const hex = fs.readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file} does not hold a 64-hex-character key`);
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) fs.chmodSync(file, 0o600);
    return Buffer.from(hex, 'hex');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const key = randomBytes(32);
  fs.writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
