// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {BatchAnchor} from "./BatchAnchor.sol";
import {CredentialRevocation} from "./CredentialRevocation.sol";
import {IssuerKeyRegistry} from "./IssuerKeyRegistry.sol";
import {SoulboundCredential} from "./SoulboundCredential.sol";

/**
 * @title SelloRegistry
 * @notice One institution's credential registry: its issuer keys, its anchored credential
 * hashes, their on-chain revocations and the learners' soulbound tokens.
 *
 * @dev One contract per institution (per Sello deployment) rather than one shared
 * contract with per-issuer roles: a credential names a single address
 * (`eip155:<chainId>:<address>`) under which everything needed to verify it lives, and
 * an institution's registry keeps working when nobody else's does. Roles (OpenZeppelin
 * `AccessControl`): the default admin (the institution) manages roles and the token base
 * URI; `ISSUER_ADMIN_ROLE` manages keys and revocations; `ANCHORER_ROLE` anchors;
 * `MINTER_ROLE` mints. The deployer's chosen admin receives all four.
 */
contract SelloRegistry is BatchAnchor, CredentialRevocation, IssuerKeyRegistry, SoulboundCredential {
    /**
     * @param admin The institution's address: receives every role.
     * @param baseURI Base of every token URI.
     */
    constructor(address admin, string memory baseURI) ERC721("Sello Credential", "SELLO") SoulboundCredential(baseURI) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ISSUER_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @inheritdoc AccessControl
    function supportsInterface(
        bytes4 interfaceId
    ) public view override(BatchAnchor, CredentialRevocation, IssuerKeyRegistry, SoulboundCredential) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
