/**
 * Failed sign-ins per client address in a sliding window, in memory. It slows guessing from one
 * address across many accounts (password spraying against Accord itself); per-account lockout is
 * kept in the database. In a multi-process deployment each process keeps its own window.
 */
export class IpThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  blocked(ip: string, now = Date.now()): boolean {
    return this.recent(ip, now).length >= this.max;
  }
  fail(ip: string, now = Date.now()): void {
    const list = this.recent(ip, now);
    list.push(now);
    this.failures.set(ip, list);
    if (this.failures.size > 100_000) this.sweep(now);
  }
  private recent(ip: string, now: number): number[] {
    const list = (this.failures.get(ip) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length === 0) this.failures.delete(ip);
    return list;
  }
  private sweep(now: number): void {
    for (const ip of this.failures.keys()) this.recent(ip, now);
  }
}
