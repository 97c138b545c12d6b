/**
 * `freshRead(read)`: a read that every caller may trust to have started after it asked,
 * shared between callers. A call joins the next read that has not started yet; while one
 * read is in flight, every caller that arrives waits for the one started after it. Under
 * load the source is read about once per its own round trip, however many callers ask,
 * and a change committed before a caller asked is always in the answer it gets (what a
 * shared cache with a time to live cannot promise).
 *
 * `maxStalenessMs` relaxes that for a source that is itself read with a delay (a chain
 * node, whose state other parties change): a read that started at most that long before
 * the caller asked is good enough, and answered ones are reused for that long.
 */
export function freshRead<T>(read: () => Promise<T>, options: { maxStalenessMs?: number; now?: () => number } = {}): () => Promise<T> {
  const maxStalenessMs = options.maxStalenessMs ?? 0;
  const now = options.now ?? (() => performance.now());
  let inFlight: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  let last: { startedAt: number; value: Promise<T> } | null = null;
  const start = (): Promise<T> => {
    const started = Promise.resolve().then(read);
    inFlight = started;
    const startedAt = now();
    const settle = () => {
      if (inFlight === started) inFlight = null;
    };
    // A failed read is never reused.
    started.then(settle, () => {
      settle();
      if (last?.value === started) last = null;
    });
    if (maxStalenessMs > 0) last = { startedAt, value: started };
    return started;
  };
  return () => {
    if (maxStalenessMs > 0 && last && now() - last.startedAt <= maxStalenessMs) return last.value;
    if (!inFlight) return start();
    // One in flight started before this caller: queue behind it for the next one.
    next ??= inFlight.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      next = null;
      return start();
    });
    return next;
  };
}
