/**
 * Runs `run` every `intervalMs` on unref'd timers (they never keep the process alive), first after
 * `firstAfterMs` when given. A run never overlaps the previous one; a failure is logged as `what`
 * and retried at the next tick. The returned `stop()` clears the timers and waits for a run in
 * progress (it may need the database, which closes after).
 */
export function startIntervalJob(
  run: () => Promise<void>,
  {
    intervalMs,
    firstAfterMs,
    logger,
    what,
  }: {
    intervalMs: number;
    firstAfterMs?: number;
    logger: { error: (o: object, msg: string) => void };
    what: string;
  },
): () => Promise<void> {
  let current: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (current || stopped) return;
    current = run()
      .catch((err: unknown) => logger.error({ err }, `${what} failed; retrying at the next interval`))
      .finally(() => (current = null));
  };
  const first = firstAfterMs === undefined ? null : setTimeout(tick, firstAfterMs);
  const timer = setInterval(tick, intervalMs);
  first?.unref();
  timer.unref();
  return async () => {
    stopped = true;
    if (first) clearTimeout(first);
    clearInterval(timer);
    await current;
  };
}
