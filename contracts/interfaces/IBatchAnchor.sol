// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Batch anchoring of credential hashes
 * @notice One transaction anchors a batch of credential hashes (leaves). Every leaf is
 * written as a log topic, so anyone finds a credential's anchor with `eth_getLogs` by
 * its hash alone: no Merkle path and no record kept by the issuer is needed.
 *
 * @dev Layout of the anchor logs (see `BatchAnchor`): anonymous logs carrying up to four
 * leaves each, leaf `i` of the batch in topic position `i % 4` of log `i / 4` (the last
 * log carries the 1-3 remaining leaves). Their data is one 32-byte word:
 * `ANCHOR_LOG_TAG (bytes4) | zero (bytes20) | batchIndex (uint32) | firstLeafIndex (uint32)`,
 * which tells them apart from every other log of the contract (whose events are not
 * anonymous and whose data is never a single tagged word).
 *
 * Lookup: one `eth_getLogs` per topic position (`topics: [h]`, `[null, h]`,
 * `[null, null, h]`, `[null, null, null, h]`, all with `address` = this contract and
 * `fromBlock` = `deploymentBlock()`), or a single call when the leaf's index modulo 4 is
 * known.
 */
interface IBatchAnchor {
    /// @notice An anchor batch had no leaves.
    error EmptyBatch();

    /// @notice An anchor batch had more leaves than one batch index can describe.
    /// @param leafCount The number of leaves given.
    /// @param maxLeaves The largest batch accepted.
    error BatchTooLarge(uint256 leafCount, uint256 maxLeaves);

    /**
     * @notice Emitted once per anchored batch, after its leaf logs.
     * @param batchIndex Sequence number of the batch in this contract, from 0.
     * @param leafCount Number of credential hashes in the batch.
     * @param leavesDigest keccak256 of the concatenated leaves, in order: lets anyone
     * check a batch's full content against the transaction input.
     */
    event BatchAnchored(uint256 indexed batchIndex, uint256 leafCount, bytes32 leavesDigest);

    /**
     * @notice Anchors credential hashes: each one appears as a topic of an anonymous log.
     * @dev Requires the anchorer role.
     * @param leaves Credential hashes (SHA-256 of the RFC 8785 form of each credential).
     * @return batchIndex The new batch's sequence number.
     */
    function anchorBatch(bytes32[] calldata leaves) external returns (uint256 batchIndex);

    /// @notice Number of batches anchored so far (the next batch's index).
    function batchCount() external view returns (uint256);

    /// @notice Block in which this contract was deployed: the `fromBlock` for log lookups.
    function deploymentBlock() external view returns (uint256);
}
