// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Soulbound credential tokens
 * @notice ERC-721 tokens bound to the learner's wallet (ERC-5192, always locked): the
 * token id is the credential hash. The token URI is a `data:application/json;base64,`
 * document built by the view function from what the registry already holds (name,
 * credential hash, issuer DID, registry, locked), so it needs no server and no
 * per-token storage; its `external_url` is the base URI followed by the hash in hex,
 * where Sello serves richer metadata while it runs.
 */
interface ISoulboundCredential {
    /// @notice Soulbound tokens never move.
    /// @param tokenId The token that someone tried to transfer.
    error SoulboundTokenLocked(uint256 tokenId);

    /// @notice Approvals are meaningless for tokens that never move.
    error SoulboundApprovalDisabled();

    /// @notice `recipients` and `credentialHashes` differ in length.
    /// @param recipients Length of the recipients array.
    /// @param credentialHashes Length of the hashes array.
    error MintBatchLengthMismatch(uint256 recipients, uint256 credentialHashes);

    /**
     * @notice Emitted when the base of every token URI was changed.
     * @param baseURI The new base URI.
     */
    event BaseURIUpdated(string baseURI);

    /**
     * @notice Emitted when the issuer DID named in every token's metadata was changed.
     * @param issuerDid The new issuer DID.
     */
    event TokenIssuerUpdated(string issuerDid);

    /**
     * @notice Mints one soulbound token per credential; tokens that already exist are
     * skipped, so a resent batch is harmless. Requires the minter role.
     * @param recipients The learners' wallets.
     * @param credentialHashes The credentials' hashes, which become the token ids.
     * @return minted How many tokens were new.
     */
    function mintBatch(address[] calldata recipients, bytes32[] calldata credentialHashes) external returns (uint256 minted);

    /**
     * @notice Changes the base of every token URI. Requires the default admin role.
     * @param baseURI The new base URI (`external_url` = baseURI + 0x-hex hash).
     */
    function setBaseURI(string calldata baseURI) external;

    /**
     * @notice Sets the issuer DID named in every token's metadata. Requires the default admin role.
     * @param issuerDid The institution's issuer DID.
     */
    function setTokenIssuer(string calldata issuerDid) external;

    /// @notice The issuer DID named in every token's metadata ("" until set).
    function tokenIssuer() external view returns (string memory);
}
