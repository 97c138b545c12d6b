/**
 * Node's `Buffer` as a global for the verifier page's bundle (esbuild `inject`): Sello's
 * PNG and key code reads bytes through it. The `buffer` package is the same API in JS.
 */
import { Buffer } from 'buffer';

export { Buffer };
