/**
 * `lowerThreadPriority`: a worker thread gives up CPU to the thread that routes requests.
 *
 * On a machine with few cores the event loop thread, which only routes and answers, shares
 * them with every verification worker; with equal priorities the scheduler lets a
 * running worker finish its time slice before the woken event loop runs, and `/health`,
 * pages and LTI launches wait behind verifications (issue 15). Linux keeps a nice value
 * per thread (setpriority(2) on a thread id), so a worker can lower its own priority and
 * leave the rest of the process as it is. Elsewhere, or where the value cannot be set,
 * the worker keeps the priority it has: only the routing thread's latency depends on it.
 */
import fs from 'node:fs';
import os from 'node:os';

/** What `lowerThreadPriority` did, for a debug log line. */
export type ThreadPriorityOutcome =
  | { lowered: true; threadId: number; nice: number }
  | { lowered: false; threadId: number | null; reason: string };

/** Linux's lowest priority (highest nice value). */
const LOWEST_PRIORITY_NICE = 19;

export interface LowerThreadPriorityParameters {
  /** How far below its current priority the calling thread goes (a nice increment, 0–19). */
  increment: number;
  /** Where the calling thread's id is read; `/proc/thread-self` links to `/proc/<pid>/task/<tid>`. */
  threadSelfPath?: string;
}

/**
 * The calling thread's Linux id (not Node's `threadId`), or null where `/proc/thread-self`
 * does not exist (not Linux, or /proc not mounted).
 */
export function currentLinuxThreadId(threadSelfPath = '/proc/thread-self'): number | null {
  try {
    const match = /\/task\/(\d+)$/.exec(fs.readlinkSync(threadSelfPath));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Raises the calling thread's nice value by `increment` (at most to 19), so that the
 * scheduler prefers the process's other threads over it. Never throws: without a thread
 * id, or when setpriority(2) refuses, the thread keeps its priority and the outcome says
 * why.
 */
export function lowerThreadPriority({ increment, threadSelfPath }: LowerThreadPriorityParameters): ThreadPriorityOutcome {
  if (!Number.isInteger(increment) || increment < 0) throw new TypeError(`increment must be a non-negative integer, got ${increment}`);
  const threadId = currentLinuxThreadId(threadSelfPath);
  if (threadId === null) return { lowered: false, threadId, reason: 'no per-thread priority here (no /proc/thread-self)' };
  if (increment === 0) return { lowered: false, threadId, reason: 'increment 0' };
  try {
    const current = os.getPriority(threadId);
    const nice = Math.min(LOWEST_PRIORITY_NICE, current + increment);
    if (nice === current) return { lowered: false, threadId, reason: `already at nice ${current}` };
    os.setPriority(threadId, nice);
    return { lowered: true, threadId, nice };
  } catch (error) {
    return { lowered: false, threadId, reason: error instanceof Error ? error.message : String(error) };
  }
}
