/**
 * `node:zlib` for the verifier page's bundle. Verification never compresses (only
 * drawing a badge PNG does); status lists are inflated by their own library's browser build.
 */
function unavailable(): never {
  throw new TypeError('zlib is not available in the verifier page');
}

export const deflateSync = unavailable;
export const inflateSync = unavailable;
export default { deflateSync, inflateSync };
