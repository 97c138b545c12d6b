/**
 * Soulbound tokens: learners' wallets, the mint queue, and the credential a token stands
 * for. Like all of storage/, it returns domain types, and `null` when not found.
 */
import type { Queryable } from './database.ts';

export interface PendingMint {
  credentialHash: string;
  walletAddress: string;
}

// ---- journal ---------------------------------------------------------------------

/**
 * Queues a mint for every anchored credential whose recipient has a wallet and no token
 * yet. Returns how many were queued.
 */
export async function enqueueMints(db: Queryable): Promise<number> {
  const result = await db.query(
    `INSERT INTO token_mints (credential_hash, wallet_address)
     SELECT c.hash, u.wallet_address FROM credentials c
       JOIN users u ON u.id = c.recipient_user_id
       JOIN credential_anchors a ON a.credential_hash = c.hash
       JOIN anchor_batches b ON b.id = a.batch_id AND b.status = 'anchored'
     WHERE u.wallet_address IS NOT NULL
     ON CONFLICT (credential_hash) DO NOTHING`,
  );
  return result.rowCount;
}

export async function listPendingMints(db: Queryable, limit: number): Promise<PendingMint[]> {
  const { rows } = await db.query<{ credential_hash: string; wallet_address: string }>(
    `SELECT credential_hash, wallet_address FROM token_mints WHERE status = 'pending' ORDER BY created_at, credential_hash LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({ credentialHash: row.credential_hash, walletAddress: row.wallet_address }));
}

/** Mints carried by an open transaction, grouped by that transaction. */
export async function listSentMints(db: Queryable): Promise<Array<{ txId: number; hashes: string[] }>> {
  const { rows } = await db.query<{ tx_id: number | string; hashes: string[] }>(
    `SELECT tx_id, array_agg(credential_hash ORDER BY credential_hash) AS hashes FROM token_mints
     WHERE status = 'sent' GROUP BY tx_id ORDER BY tx_id`,
  );
  return rows.map((row) => ({ txId: Number(row.tx_id), hashes: row.hashes }));
}

/** Links pending mints to their transaction; false when another process took any of them. */
export async function markMintsSent(db: Queryable, params: { hashes: string[]; txId: number; txHash: string }): Promise<boolean> {
  const result = await db.query(
    `UPDATE token_mints SET status = 'sent', tx_id = $2, tx_hash = $3, last_error = NULL
     WHERE credential_hash = ANY($1::text[]) AND status = 'pending'`,
    [params.hashes, params.txId, params.txHash],
  );
  return result.rowCount === params.hashes.length;
}

export async function markMintsMinted(db: Queryable, params: { txId: number; blockNumber: number }): Promise<void> {
  await db.query(
    `UPDATE token_mints SET status = 'minted', block_number = $2, minted_at = now() WHERE tx_id = $1 AND status = 'sent'`,
    [params.txId, params.blockNumber],
  );
}

export async function markMintsPending(db: Queryable, params: { txId: number; error: string }): Promise<void> {
  await db.query(
    `UPDATE token_mints SET status = 'pending', tx_id = NULL, tx_hash = NULL, last_error = $2 WHERE tx_id = $1 AND status = 'sent'`,
    [params.txId, params.error],
  );
}

export async function recordMintError(db: Queryable, params: { hashes: string[]; error: string }): Promise<void> {
  await db.query('UPDATE token_mints SET last_error = $2 WHERE credential_hash = ANY($1::text[])', [params.hashes, params.error]);
}

// ---- wallets ---------------------------------------------------------------------

/** Sets a user's wallet; false when the user does not exist. */
export async function setUserWallet(db: Queryable, params: { userId: string; walletAddress: string }): Promise<boolean> {
  const result = await db.query('UPDATE users SET wallet_address = $2, updated_at = now() WHERE id = $1', [
    params.userId,
    params.walletAddress,
  ]);
  return result.rowCount > 0;
}

/** The signed credential a token id (credential hash) stands for. */
export async function findCredentialByHash(db: Queryable, credentialHash: string): Promise<{ id: string; document: unknown } | null> {
  const { rows } = await db.query<{ id: string; document: unknown }>('SELECT id, document FROM credentials WHERE hash = $1', [
    credentialHash,
  ]);
  return rows[0] ?? null;
}

// ---- revocation mirror -----------------------------------------------------------
// `credential_status_events` (credentials capability, 0100) records every status change;
// the chain capability mirrors revocations of anchored credentials on-chain and writes
// the carrying transaction's hash into `chain_tx_hash` (or `unchanged` when the chain
// already had that state). Suspensions are not mirrored: they are temporary and the
// status list carries them.

/** Mints not yet on-chain, oldest first, for the admin's chain page (read-only). */
export async function listOpenMints(db: Queryable, limit: number): Promise<Array<{ credentialHash: string; walletAddress: string; status: 'pending' | 'sent'; txHash: string | null; lastError: string | null; createdAt: Date }>> {
  const { rows } = await db.query<{ credential_hash: string; wallet_address: string; status: 'pending' | 'sent'; tx_hash: string | null; last_error: string | null; created_at: Date }>(
    `SELECT credential_hash, wallet_address, status, tx_hash, last_error, created_at FROM token_mints
     WHERE status <> 'minted' ORDER BY created_at, credential_hash LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    credentialHash: row.credential_hash,
    walletAddress: row.wallet_address,
    status: row.status,
    txHash: row.tx_hash,
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
  }));
}
