/**
 * Keeps a live heap of about 40 MB and allocates objects that live long enough to be
 * promoted to the old generation and then die (as an issuance's JSON-LD objects do while
 * their jobs wait for I/O), and prints the peak of the used heap as JSON. With `tuned` as
 * its argument it first calls `favourMemoryOverSpeed`, as Sello on the embedded database does.
 */
import { favourMemoryOverSpeed } from '../../../src/storage/embedded-heap.ts';

const tuned = process.argv.at(-1) === 'tuned' ? favourMemoryOverSpeed() : false;
const live: unknown[] = [];
for (let i = 0; i < 400_000; i += 1) live.push({ i, name: `live ${i}`, pair: [i, i] });
const recent: unknown[] = new Array(100_000);
let peak = 0;
for (let n = 0; n < 6_000_000; n += 1) {
  recent[n % recent.length] = { n, name: `recent ${n}`, triple: [n, n, n] };
  if (n % 65_536 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
}
console.log(JSON.stringify({ tuned, peakHeapUsedMb: Math.round(peak / 1e6), live: live.length }));
