/**
 * The JavaScript heap of a Sello on the embedded database. That Sello is one process
 * holding the database too (PGlite's WebAssembly memory, about 165 MB), usually on a
 * small machine, so it trades a little CPU for memory: V8 lets the old generation grow
 * to a multiple of the live heap between full collections (up to about 4× for a heap
 * this small), and an issuance's short-lived JSON-LD objects, promoted while their jobs
 * wait for the database and the LMS, filled that room with garbage. Capping the growth
 * at 50 % over the live heap, measured on the 10,000-learner embedded issuance (Sello's
 * own process, bench/JOURNAL.md, "Embedded memory"): peak 524 → 430–444 MB, for 5–10 %
 * more CPU. A deployment on PostgreSQL keeps V8's defaults.
 */
import v8 from 'node:v8';

export const EMBEDDED_HEAP_GROWING_PERCENT = 50;

/**
 * Caps the old generation's growth for this process, unless the operator chose it
 * (`node --heap-growing-percent=…`; Node does not take V8 flags from `NODE_OPTIONS`). V8
 * reads the flag each time it sets the next collection's limit, so setting it after
 * start-up takes effect. Returns whether it set it.
 */
export function favourMemoryOverSpeed(nodeFlags: readonly string[] = process.execArgv): boolean {
  if (nodeFlags.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag))) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${EMBEDDED_HEAP_GROWING_PERCENT}`);
  return true;
}
