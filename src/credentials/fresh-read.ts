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
 *
 * `minIntervalMs` keeps the promise and spaces the reads instead: a read starts no sooner
 * than that long after the previous one started, and the callers that ask meanwhile wait
 * for it and share it. A source read back to back under load (a database round trip per
 * read, and a wake-up of its server) is then read at most 1000 ÷ `minIntervalMs` times a
 * second, for at most that much more wait per caller; a caller after a quiet spell reads
 * at once.
 */
export function freshRead<T>(
  read: () => Promise<T>,
  options: { maxStalenessMs?: number; minIntervalMs?: number; now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
): () => Promise<T> {
  const maxStalenessMs = options.maxStalenessMs ?? 0;
  const minIntervalMs = options.minIntervalMs ?? 0;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let inFlight: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  let last: { startedAt: number; value: Promise<T> } | null = null;
  let lastStartedAt = -Infinity;
  const start = (): Promise<T> => {
    const started = Promise.resolve().then(read);
    inFlight = started;
    const startedAt = now();
    lastStartedAt = startedAt;
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
  // The next read's turn: once the one in flight has settled and the interval has passed.
  const turn = async (): Promise<void> => {
    if (inFlight) await inFlight.then(noop, noop);
    const waitMs = lastStartedAt + minIntervalMs - now();
    if (waitMs > 0) await sleep(waitMs);
  };
  return () => {
    if (maxStalenessMs > 0 && last && now() - last.startedAt <= maxStalenessMs) return last.value;
    if (!inFlight && !next && now() - lastStartedAt >= minIntervalMs) return start();
    // A read in flight (or one started too recently) began before this caller: wait for the next one.
    next ??= turn().then(() => {
      next = null;
      return start();
    });
    return next;
  };
}

function noop(): void {}
