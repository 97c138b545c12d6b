/**
 * The recipient's hashed, salted email as an OB 3.0 IdentityObject
 * (https://www.imsglobal.org/spec/ob/v3p0/#identityobject): verifiers who know the
 * email can check it; nobody can read it from the credential.
 */
import crypto from 'node:crypto';

export interface IdentityObject {
  type: 'IdentityObject';
  hashed: true;
  identityHash: string;
  identityType: 'emailAddress';
  salt: string;
}

/** Normalises the email (trim, lower case) and hashes it with a fresh or given salt. */
export function hashedEmailIdentity(params: { email: string; salt?: string }): IdentityObject {
  const salt = params.salt ?? crypto.randomBytes(16).toString('hex');
  const normalised = params.email.trim().toLowerCase();
  const digest = crypto.createHash('sha256').update(normalised + salt, 'utf8').digest('hex');
  return { type: 'IdentityObject', hashed: true, identityHash: `sha256$${digest}`, identityType: 'emailAddress', salt };
}

/** True when `email` is the one behind `identity`. */
export function emailMatchesIdentity(params: { email: string; identity: IdentityObject }): boolean {
  return hashedEmailIdentity({ email: params.email, salt: params.identity.salt }).identityHash === params.identity.identityHash;
}
