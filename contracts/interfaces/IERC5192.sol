// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ERC-5192: Minimal Soulbound NFTs
 * @notice A token that reports `locked(tokenId) == true` can never be transferred.
 * @dev See https://eips.ethereum.org/EIPS/eip-5192. The ERC-165 identifier is 0xb45a3c0e.
 */
interface IERC5192 {
    /// @notice Emitted when the locking status is changed to locked.
    /// @param tokenId The identifier of the token.
    event Locked(uint256 tokenId);

    /// @notice Emitted when the locking status is changed to unlocked.
    /// @param tokenId The identifier of the token.
    event Unlocked(uint256 tokenId);

    /// @notice Returns the locking status of a soulbound token.
    /// @dev Reverts for a token that does not exist.
    /// @param tokenId The identifier of the token.
    /// @return True when the token can never be transferred.
    function locked(uint256 tokenId) external view returns (bool);
}
