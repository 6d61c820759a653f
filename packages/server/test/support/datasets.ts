import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The public datasets tests read (loghub samples, KEV, OSCAL examples) live beside the project
 * checkout in `../shared/datasets`, and are never copied into the repository. ACCORD_DATASETS_DIR
 * points elsewhere when a checkout is not beside them.
 */
const repoRoot = path.resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

export function datasetsDir(): string {
  const candidates = [
    process.env.ACCORD_DATASETS_DIR,
    path.resolve(repoRoot, '../shared/datasets'),
    '/work/shared/datasets',
  ];
  for (const c of candidates) if (c && fs.existsSync(path.join(c, 'loghub'))) return c;
  throw new Error(
    `the shared datasets were not found (looked in ${candidates.filter(Boolean).join(', ')}); set ACCORD_DATASETS_DIR`,
  );
}

export const dataset = (...parts: string[]): string => path.join(datasetsDir(), ...parts);
