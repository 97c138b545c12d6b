/**
 * W3C Bitstring Status List v1.0 (https://www.w3.org/TR/vc-bitstring-status-list/):
 * building the (unsigned) status list credential and reading a bit from one.
 */
import { BitstringStatusList } from '@digitalbazaar/vc-bitstring-status-list';
import { VC_V2_CONTEXT } from './contexts.ts';
import { toXsdDateTime } from './build-credential.ts';

/**
 * Entries per list: 131,072 (16 KiB), the spec's minimum for herd privacy
 * (https://www.w3.org/TR/vc-bitstring-status-list/#herd-privacy).
 */
export const STATUS_LIST_LENGTH = 131_072;

export type StatusPurpose = 'revocation' | 'suspension';

/** The list as a compressed, multibase (base64url, `u`) string, per the spec's encoding. */
export async function encodeStatusList(params: { setIndexes: Iterable<number>; length?: number }): Promise<string> {
  const list = new BitstringStatusList({ length: params.length ?? STATUS_LIST_LENGTH });
  for (const index of params.setIndexes) list.setStatus(index, true);
  return list.encode();
}

/**
 * The unsigned `BitstringStatusListCredential` for `/status/:id`; the caller signs it
 * with the issuer's key (the same issuer as the credentials it covers).
 */
export function buildStatusListCredential(params: {
  url: string;
  issuer: string;
  purpose: StatusPurpose;
  encodedList: string;
  validFrom: Date;
}): Record<string, unknown> {
  return {
    '@context': [VC_V2_CONTEXT],
    id: params.url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: params.issuer,
    validFrom: toXsdDateTime(params.validFrom),
    credentialSubject: {
      id: `${params.url}#list`,
      type: 'BitstringStatusList',
      statusPurpose: params.purpose,
      encodedList: params.encodedList,
    },
  };
}

// Decoded lists by their encoded string. Verifying a batch reads the same few lists
// over and over; inflating 16 KiB per read costs more than the rest of the status
// check. A list's content IS its encoded string, so a changed list is a new entry.
const MAX_DECODED_LISTS = 32;
const decodedLists = new Map<string, Promise<BitstringStatusList>>();

function decodedList(encodedList: string): Promise<BitstringStatusList> {
  let list = decodedLists.get(encodedList);
  if (!list) {
    list = BitstringStatusList.decode({ encodedList });
    decodedLists.set(encodedList, list);
    list.catch(() => decodedLists.delete(encodedList));
    if (decodedLists.size > MAX_DECODED_LISTS) decodedLists.delete(decodedLists.keys().next().value!);
  }
  return list;
}

/**
 * The bit at `index` of an encoded list.
 *
 * @throws Error when the list cannot be decoded or the index is outside it.
 */
export async function readStatusBit(params: { encodedList: string; index: number }): Promise<boolean> {
  const list = await decodedList(params.encodedList);
  if (!Number.isInteger(params.index) || params.index < 0 || params.index >= list.length) {
    throw new Error(`Status list index ${params.index} is outside the list (length ${list.length})`);
  }
  return list.getStatus(params.index);
}
