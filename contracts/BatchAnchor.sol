// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IBatchAnchor} from "./interfaces/IBatchAnchor.sol";

/**
 * @title BatchAnchor
 * @notice Anchors batches of credential hashes as log topics (see `IBatchAnchor` for the
 * log layout and the lookup).
 *
 * @dev Why anonymous LOG4 with four leaves per log and no storage per leaf: since Prague,
 * EIP-7623 bills at least 40 gas per non-zero calldata byte, so a 32-byte leaf costs
 * ~1,280 gas before any code runs, and execution below that floor is free. A Solidity
 * event with one indexed leaf costs ~2,200 gas per leaf (a full LOG per leaf); packing
 * four leaves into the four topics of an anonymous log brings the cost to ~1,500 at 100
 * leaves and ~1,300 at 1,000, within a few percent of the floor, while each leaf stays
 * an indexed topic that `eth_getLogs` can filter on. Storing leaves (22,100 gas each) or
 * only a Merkle root (cheap, but then every verifier needs a Merkle path from the issuer)
 * were rejected: the first is 15 times dearer, the second makes the issuer a dependency.
 */
abstract contract BatchAnchor is AccessControl, IBatchAnchor {
    /// @notice Role allowed to anchor batches.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice First four bytes of every anchor log's data word.
    bytes4 public constant ANCHOR_LOG_TAG = bytes4(keccak256("SelloAnchor(bytes32[])"));

    /// @dev Batch and leaf indexes are packed as uint32 in the log data.
    uint256 private constant _MAX_LEAVES = type(uint32).max;

    uint256 private immutable _deploymentBlock;
    /// @dev Batches anchored + 1. Starting at 1 makes every anchor a non-zero to non-zero
    /// write (5,000 gas) instead of the first one paying 22,100 for a zero slot.
    uint256 private _batchCountPlusOne = 1;

    constructor() {
        _deploymentBlock = block.number;
    }

    /// @inheritdoc IBatchAnchor
    function anchorBatch(bytes32[] calldata leaves) external onlyRole(ANCHORER_ROLE) returns (uint256 batchIndex) {
        uint256 count = leaves.length;
        if (count == 0) revert EmptyBatch();
        if (count > _MAX_LEAVES) revert BatchTooLarge(count, _MAX_LEAVES);
        // Cannot overflow or underflow: starts at 1, one increment per transaction.
        unchecked {
            batchIndex = _batchCountPlusOne - 1;
            _batchCountPlusOne = batchIndex + 2;
        }
        // Tag in the top four bytes, batch index in bits 32..63, first leaf index in bits 0..31.
        // The batch index is kept modulo 2^32 in the log (it only helps display); the
        // authoritative index is in `BatchAnchored`.
        uint256 header = (uint256(uint32(ANCHOR_LOG_TAG)) << 224) | ((batchIndex & 0xffffffff) << 32);
        bytes32 digest;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let start := leaves.offset
            let end := add(start, shl(5, count))
            // Groups of four leaves: 128 bytes of calldata per log.
            let fullEnd := add(start, shl(7, shr(2, count)))
            let leafIndex := 0
            for { let cursor := start } lt(cursor, fullEnd) { cursor := add(cursor, 0x80) } {
                mstore(ptr, or(header, leafIndex))
                log4(ptr, 0x20, calldataload(cursor), calldataload(add(cursor, 0x20)), calldataload(add(cursor, 0x40)), calldataload(add(cursor, 0x60)))
                leafIndex := add(leafIndex, 4)
            }
            mstore(ptr, or(header, leafIndex))
            switch sub(end, fullEnd)
            case 0x20 { log1(ptr, 0x20, calldataload(fullEnd)) }
            case 0x40 { log2(ptr, 0x20, calldataload(fullEnd), calldataload(add(fullEnd, 0x20))) }
            case 0x60 {
                log3(ptr, 0x20, calldataload(fullEnd), calldataload(add(fullEnd, 0x20)), calldataload(add(fullEnd, 0x40)))
            }
            // The digest of all leaves lets anyone check the batch against the transaction input.
            calldatacopy(ptr, start, shl(5, count))
            digest := keccak256(ptr, shl(5, count))
        }
        emit BatchAnchored(batchIndex, count, digest);
    }

    /// @inheritdoc IBatchAnchor
    function batchCount() external view returns (uint256) {
        // Cannot underflow: the counter starts at 1.
        unchecked {
            return _batchCountPlusOne - 1;
        }
    }

    /// @inheritdoc IBatchAnchor
    function deploymentBlock() external view returns (uint256) {
        return _deploymentBlock;
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IBatchAnchor).interfaceId || super.supportsInterface(interfaceId);
    }
}
