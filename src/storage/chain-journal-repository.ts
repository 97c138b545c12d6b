/**
 * The embedded chain's journal (every transaction it ran, replayed byte for byte at
 * start) and the registry deployment per chain. Like all of storage/, it returns domain
 * types, and `null` when not found.
 */
import type { Queryable } from './database.ts';

export interface JournalEntry {
  seq: number;
  chainId: number;
  txHash: string;
  rawTx: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
}

export async function appendJournalEntry(db: Queryable, entry: Omit<JournalEntry, 'seq'>): Promise<void> {
  await db.query(
    `INSERT INTO chain_journal (chain_id, tx_hash, raw_tx, block_number, block_hash, block_timestamp)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tx_hash) DO NOTHING`,
    [entry.chainId, entry.txHash, entry.rawTx, entry.blockNumber, entry.blockHash, entry.blockTimestamp],
  );
}

export async function listJournal(db: Queryable, chainId: number): Promise<JournalEntry[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    'SELECT * FROM chain_journal WHERE chain_id = $1 ORDER BY seq',
    [chainId],
  );
  return rows.map((row) => ({
    seq: Number(row.seq),
    chainId: Number(row.chain_id),
    txHash: String(row.tx_hash),
    rawTx: String(row.raw_tx),
    blockNumber: Number(row.block_number),
    blockHash: String(row.block_hash),
    blockTimestamp: Number(row.block_timestamp),
  }));
}

// ---- deployments -----------------------------------------------------------------

export async function getDeployment(db: Queryable, chainId: number): Promise<{ contractAddress: string; txHash: string | null } | null> {
  const { rows } = await db.query<{ contract_address: string; tx_hash: string | null }>(
    'SELECT contract_address, tx_hash FROM chain_deployments WHERE chain_id = $1',
    [chainId],
  );
  return rows[0] ? { contractAddress: rows[0].contract_address, txHash: rows[0].tx_hash } : null;
}

export async function saveDeployment(
  db: Queryable,
  deployment: { chainId: number; contractAddress: string; txHash: string | null; blockNumber: number | null },
): Promise<void> {
  await db.query(
    `INSERT INTO chain_deployments (chain_id, contract_address, tx_hash, block_number) VALUES ($1, $2, $3, $4)
     ON CONFLICT (chain_id) DO UPDATE SET contract_address = EXCLUDED.contract_address,
       tx_hash = EXCLUDED.tx_hash, block_number = EXCLUDED.block_number, deployed_at = now()`,
    [deployment.chainId, deployment.contractAddress, deployment.txHash, deployment.blockNumber],
  );
}

// ---- send queue ------------------------------------------------------------------
