// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IERC5192} from "./interfaces/IERC5192.sol";
import {ISoulboundCredential} from "./interfaces/ISoulboundCredential.sol";

/**
 * @title SoulboundCredential
 * @notice ERC-721 + ERC-5192 tokens whose id is the credential hash; they never move.
 * @dev Cost: ~49,700 gas per token in batches of 50 (two new storage slots, the owner and
 * the holder's balance, plus `Transfer` and `Locked`). The metadata is built by
 * `tokenURI` from the id and per-registry strings instead of stored per token, which
 * alone would add ~88,000 gas per token: minting pays nothing for it.
 */
abstract contract SoulboundCredential is ERC721, AccessControl, IERC5192, ISoulboundCredential {
    /// @notice Role allowed to mint credential tokens.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    string private _tokenBaseURI;
    string private _tokenIssuer;

    constructor(string memory baseURI) {
        _tokenBaseURI = baseURI;
    }

    /// @inheritdoc ISoulboundCredential
    function mintBatch(
        address[] calldata recipients,
        bytes32[] calldata credentialHashes
    ) external onlyRole(MINTER_ROLE) returns (uint256 minted) {
        uint256 count = recipients.length;
        if (count != credentialHashes.length) revert MintBatchLengthMismatch(count, credentialHashes.length);
        for (uint256 i = 0; i < count; ) {
            uint256 tokenId = uint256(credentialHashes[i]);
            // A resent or overlapping batch must not fail as a whole: existing tokens are skipped.
            if (_ownerOf(tokenId) == address(0)) {
                _mint(recipients[i], tokenId);
                emit Locked(tokenId);
                // Cannot overflow: bounded by the calldata array length.
                unchecked {
                    ++minted;
                }
            }
            // Cannot overflow: i < count.
            unchecked {
                ++i;
            }
        }
    }

    /// @inheritdoc ISoulboundCredential
    function setBaseURI(string calldata baseURI) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _tokenBaseURI = baseURI;
        emit BaseURIUpdated(baseURI);
    }

    /// @inheritdoc ISoulboundCredential
    function setTokenIssuer(string calldata issuerDid) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _tokenIssuer = issuerDid;
        emit TokenIssuerUpdated(issuerDid);
    }

    /// @inheritdoc ISoulboundCredential
    function tokenIssuer() external view returns (string memory) {
        return _tokenIssuer;
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /**
     * @notice The token's metadata, built here so that it outlives any server:
     * `data:application/json;base64,` + `{"name", "description", "credential_hash",
     * "issuer", "registry" (CAIP-10), "locked": true, "external_url", "attributes"}`.
     * @param tokenId The token id (the credential hash).
     * @return The data URI.
     */
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        string memory hash = Strings.toHexString(tokenId, 32);
        string memory issuer = Strings.escapeJSON(_tokenIssuer);
        string memory registry = string.concat(
            "eip155:",
            Strings.toString(block.chainid),
            ":",
            Strings.toChecksumHexString(address(this))
        );
        string memory head = string.concat(
            '{"name":"',
            name(),
            " ",
            hash,
            '","description":"Soulbound token of an Open Badges 3.0 credential: its id is the SHA-256 of the signed credential, anchored in this registry.","credential_hash":"',
            hash,
            '","issuer":"',
            issuer,
            '","registry":"',
            registry
        );
        string memory tail = string.concat(
            '","locked":true,"external_url":"',
            Strings.escapeJSON(string.concat(_tokenBaseURI, hash)),
            '","attributes":[{"trait_type":"issuer","value":"',
            issuer,
            '"},{"trait_type":"registry","value":"',
            registry,
            '"},{"trait_type":"locked","value":"true"}]}'
        );
        return string.concat("data:application/json;base64,", Base64.encode(bytes(string.concat(head, tail))));
    }

    /// @notice Always reverts: soulbound tokens have no approvals.
    function approve(address, uint256) public pure override {
        revert SoulboundApprovalDisabled();
    }

    /// @notice Always reverts: soulbound tokens have no operators.
    function setApprovalForAll(address, bool) public pure override {
        revert SoulboundApprovalDisabled();
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view virtual override(ERC721, AccessControl) returns (bool) {
        return
            interfaceId == type(IERC5192).interfaceId ||
            interfaceId == type(ISoulboundCredential).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    /// @dev Every movement of an existing token reverts, whoever asks: only minting passes.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (_ownerOf(tokenId) != address(0)) revert SoulboundTokenLocked(tokenId);
        return super._update(to, tokenId, auth);
    }
}
