/**
 * The credential hash: Sello's chain anchor leaf and soulbound token id.
 */
import crypto from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// canonicalize is CommonJS typed as an ES module: at run time the default import IS the function.
const canonicalize = ((canonicalizeModule as unknown as { default?: unknown }).default ?? canonicalizeModule) as (input: unknown) => string | undefined;

/**
 * `'0x'` + lowercase hex SHA-256 of the RFC 8785 (JCS) serialisation of the FULL signed
 * credential, `proof` included (https://www.rfc-editor.org/rfc/rfc8785). Any change to
 * any field, signature included, changes the hash; key order and whitespace do not.
 *
 * @throws TypeError when `credential` is not a JSON object.
 */
export function credentialHash(credential: object): string {
  if (!credential || typeof credential !== 'object' || Array.isArray(credential)) {
    throw new TypeError('credentialHash expects a credential object');
  }
  const serialised = canonicalize(credential);
  if (serialised === undefined) throw new TypeError('credentialHash: credential is not serialisable');
  return `0x${crypto.createHash('sha256').update(serialised, 'utf8').digest('hex')}`;
}
