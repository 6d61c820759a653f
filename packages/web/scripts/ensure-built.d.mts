export function isStale(): boolean;
export function ensureBuilt(opts?: {
  force?: boolean;
  quiet?: boolean;
}): Promise<{ built: boolean; ms: number }>;
