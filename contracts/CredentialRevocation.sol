// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ICredentialRevocation} from "./interfaces/ICredentialRevocation.sol";
import {ICredentialSuspension} from "./interfaces/ICredentialSuspension.sol";
import {IssuerRoles} from "./IssuerRoles.sol";

/**
 * @title CredentialRevocation
 * @notice Revocation (with a reason code) and suspension by credential hash, checkable
 * without Sello.
 * @dev One storage slot per credential whose status ever changed: revocation time,
 * reason and suspension time packed (64 + 16 + 64 bits). Suspension has an interface of
 * its own so that registries deployed before it still answer for revocation.
 */
abstract contract CredentialRevocation is AccessControl, IssuerRoles, ICredentialRevocation, ICredentialSuspension {
    struct CredentialStatus {
        uint64 revokedAt;
        uint16 reason;
        uint64 suspendedAt;
    }

    mapping(bytes32 credentialHash => CredentialStatus) private _statuses;

    /// @inheritdoc ICredentialRevocation
    function revokeCredential(bytes32 credentialHash, uint16 reason) external onlyRole(ISSUER_ADMIN_ROLE) {
        CredentialStatus storage status = _statuses[credentialHash];
        if (status.revokedAt != 0) revert CredentialAlreadyRevoked(credentialHash);
        status.revokedAt = uint64(block.timestamp);
        status.reason = reason;
        emit CredentialRevoked(credentialHash, reason);
    }

    /// @inheritdoc ICredentialRevocation
    function unrevokeCredential(bytes32 credentialHash) external onlyRole(ISSUER_ADMIN_ROLE) {
        CredentialStatus storage status = _statuses[credentialHash];
        if (status.revokedAt == 0) revert CredentialNotRevoked(credentialHash);
        status.revokedAt = 0;
        status.reason = 0;
        emit CredentialUnrevoked(credentialHash);
    }

    /// @inheritdoc ICredentialSuspension
    function suspendCredential(bytes32 credentialHash) external onlyRole(ISSUER_ADMIN_ROLE) {
        CredentialStatus storage status = _statuses[credentialHash];
        if (status.suspendedAt != 0) revert CredentialAlreadySuspended(credentialHash);
        status.suspendedAt = uint64(block.timestamp);
        emit CredentialSuspended(credentialHash);
    }

    /// @inheritdoc ICredentialSuspension
    function unsuspendCredential(bytes32 credentialHash) external onlyRole(ISSUER_ADMIN_ROLE) {
        CredentialStatus storage status = _statuses[credentialHash];
        if (status.suspendedAt == 0) revert CredentialNotSuspended(credentialHash);
        status.suspendedAt = 0;
        emit CredentialUnsuspended(credentialHash);
    }

    /// @inheritdoc ICredentialRevocation
    function revocationOf(bytes32 credentialHash) external view returns (bool revoked, uint16 reason, uint64 revokedAt) {
        CredentialStatus memory status = _statuses[credentialHash];
        return (status.revokedAt != 0, status.reason, status.revokedAt);
    }

    /// @inheritdoc ICredentialSuspension
    function suspensionOf(bytes32 credentialHash) external view returns (bool suspended, uint64 suspendedAt) {
        suspendedAt = _statuses[credentialHash].suspendedAt;
        suspended = suspendedAt != 0;
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return
            interfaceId == type(ICredentialRevocation).interfaceId ||
            interfaceId == type(ICredentialSuspension).interfaceId ||
            super.supportsInterface(interfaceId);
    }
}
