import crypto from 'node:crypto';

/**
 * The credential id of an award: `urn:uuid:<award id>` for its first credential, and a
 * name-based UUID (RFC 9562 §5.8 layout, SHA-256) of award id and generation after a
 * re-award. Deterministic, so a retried or racing signing step finds the same credential
 * instead of making a second one.
 */
export function awardCredentialId(award: { id: string; generation: number }): string {
  if (award.generation === 1) return `urn:uuid:${award.id}`;
  const bytes = crypto.createHash('sha256').update(`${award.id}:${award.generation}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8 (custom, name-based)
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC variant
  const hex = bytes.toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
