/**
 * The tool's RSA key pairs, one per platform, generated and kept (encrypted) by ltijs in
 * the LTI store; Sello signs its own messages (Deep Linking responses, client
 * assertions) with them so that the JWKS at `/lti/keys` verifies them.
 */
import crypto from 'node:crypto';
import type { LtiStore } from '../storage/lti-store.ts';
import { LtiError } from './errors.ts';

export interface ToolKeys {
  /** The private key for `kid`. @throws LtiError `platform_not_found` when ltijs has no key with that id. */
  privateKey(kid: string): Promise<crypto.KeyObject>;
}

export function createToolKeys({ store, encryptionKey }: { store: LtiStore; encryptionKey: string }): ToolKeys {
  const cache = new Map<string, crypto.KeyObject>();
  return {
    async privateKey(kid) {
      const cached = cache.get(kid);
      if (cached) return cached;
      const found = await store.Get(encryptionKey, 'privatekey', { kid });
      if (!found) throw new LtiError('platform_not_found', `No tool key ${kid}: the platform registration is incomplete`);
      const key = crypto.createPrivateKey(String(found[0]!.key));
      cache.set(kid, key);
      return key;
    },
  };
}
