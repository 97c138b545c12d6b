/**
 * The "Add to wallet" block (`views/partials/wallet-offer.hbs`) of a credential's
 * recipient: on the learner's badge page and on the public page when the recipient's own
 * browser opens it (`learner/recipient-session.ts`). Nowhere else: an offer binds a new
 * credential of the award to whichever wallet redeems it.
 */
import QRCode from 'qrcode';
import type { Database } from '../../storage/database.ts';
import { createCredentialOffer } from '../../wallet/openid4vci.ts';
import { createClaimExchange } from '../../wallet/vcapi-exchange.ts';
import { translate, type Locale } from '../i18n.ts';

export interface WalletOfferView {
  openid4vci: { link: string; qrSvg: string };
  vcapi: { link: string; qrSvg: string };
  /** "These codes work once, until 14:05 UTC." */
  expiresNote: string;
}

const qrSvgOf = (text: string) => QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'L' });

/**
 * A fresh OpenID4VCI offer and a fresh VC-API exchange for one valid credential (each
 * single use and short-lived), as a QR code (for a wallet on another device) and a
 * same-device link. The page needs no JavaScript: each view creates new ones, so the
 * answer that carries them must never be cached for anyone else.
 *
 * @throws CredentialError `credential_not_found` when `userId` is not the credential's recipient.
 */
export async function walletOfferView(params: { db: Database; publicUrl: string; credentialId: string; userId: string; locale: Locale; now: Date }): Promise<WalletOfferView> {
  const { db, publicUrl, credentialId, userId, now } = params;
  const [offer, exchange] = await Promise.all([
    createCredentialOffer({ db, publicUrl, credentialId, userId, now }),
    createClaimExchange({ db, publicUrl, credentialId, userId, now }),
  ]);
  const expires = new Date(Math.min(offer.expiresAt.getTime(), exchange.expiresAt.getTime()));
  return {
    openid4vci: { link: offer.offerUri, qrSvg: await qrSvgOf(offer.offerUri) },
    vcapi: { link: exchange.walletLink, qrSvg: await qrSvgOf(exchange.walletLink) },
    expiresNote: translate(params.locale, 'wallet.expires', { time: expires.toISOString().slice(11, 16) }),
  };
}
