/**
 * `/admin/chain` (read-only): which chain and registry contract Sello anchors on, the
 * address that pays for it and its balance, the anchor batches not yet confirmed and the
 * soulbound mints not yet on-chain. A chain that does not answer is said so on the page,
 * never a 5xx.
 */
import { Router } from 'express';
import { formatEther } from 'ethers';
import type { ChainService } from '../../chain/open-chain.ts';
import { listOpenBatches, unbatchedCredentialStats } from '../../storage/anchor-batch-repository.ts';
import type { Queryable } from '../../storage/database.ts';
import { listOpenMints } from '../../storage/soulbound-mint-repository.ts';
import { formatDateTime, formatLocalNumber, translate, type Locale } from '../i18n.ts';
import { renderAdminPage, type AdminPageContext } from './admin-page.ts';

export interface AdminChainDependencies {
  db: Queryable;
  /** The open chain, or null while its RPC has not answered since start. */
  chain: () => Pick<ChainService, 'kind' | 'chainId' | 'contractAddress' | 'signer' | 'provider'> | null;
  /** `config.chain.kind`, shown while the chain is not open. */
  kind: 'embedded' | 'rpc';
  context: AdminPageContext;
}

const SHOWN = 50;

export function adminChainRouter({ db, chain, kind, context }: AdminChainDependencies): Router {
  const router = Router();
  router.get('/admin/chain', context.session.require(), async (req, res) => {
    const locale = res.locals.locale as Locale;
    const open = chain();
    let balance: string | null = null;
    let balanceError = false;
    if (open) {
      try {
        // An amount as people read one (the page's decimal mark, thousands grouped), not
        // ether's 18 decimals: a millionth of an ether is less than any transaction costs.
        balance = `${formatLocalNumber(Number(formatEther(await open.provider.getBalance(open.signer))), locale, { maximumFractionDigits: 6 })} ETH`;
      } catch {
        balanceError = true;
      }
    }
    const batches = open ? await listOpenBatches(db, open.chainId) : [];
    const unbatched = await unbatchedCredentialStats(db);
    const mints = await listOpenMints(db, SHOWN);
    renderAdminPage(context, req, res, {
      page: 'admin-chain',
      section: 'chain',
      titleKey: 'admin.chain.title',
      data: {
        open: open !== null,
        kind: translate(locale, `admin.chain.kind.${open?.kind ?? kind}`),
        chainId: open?.chainId ?? null,
        contract: open?.contractAddress ?? null,
        signer: open?.signer ?? null,
        balance,
        balanceError,
        unbatched: formatLocalNumber(unbatched.count, locale),
        oldestUnbatched: unbatched.oldest ? formatDateTime(unbatched.oldest, locale) : null,
        batches: batches.slice(0, SHOWN).map((batch) => ({
          id: batch.id,
          status: translate(locale, `admin.chain.batch.${batch.status}`),
          leaves: formatLocalNumber(batch.leafCount, locale),
          txHash: batch.txHash,
          attempts: batch.attempts,
          lastError: batch.lastError,
        })),
        moreBatches: batches.length > SHOWN,
        mints: mints.map((mint) => ({
          credentialHash: mint.credentialHash,
          wallet: mint.walletAddress,
          status: translate(locale, `admin.chain.mint.${mint.status}`),
          since: formatDateTime(mint.createdAt, locale),
          lastError: mint.lastError,
        })),
      },
    });
  });
  return router;
}
