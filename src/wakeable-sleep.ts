/**
 * A pause that another part of the process can end early: the issuance worker sleeps
 * until new work pokes it, the chain connection until its next retry or shutdown. One
 * pause at a time; `wake()` with nobody asleep does nothing.
 */
export interface WakeableSleep {
  sleep(ms: number): Promise<void>;
  wake(): void;
}

export function createWakeableSleep(): WakeableSleep {
  let wakeSleeper: (() => void) | null = null;
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wakeSleeper = null;
          resolve();
        }, ms);
        wakeSleeper = () => {
          clearTimeout(timer);
          wakeSleeper = null;
          resolve();
        };
      }),
    wake: () => wakeSleeper?.(),
  };
}
