// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ICredentialRevocation} from "./interfaces/ICredentialRevocation.sol";
import {IssuerRoles} from "./IssuerRoles.sol";

/**
 * @title CredentialRevocation
 * @notice Revocation by credential hash with a reason code, checkable without Sello.
 * @dev One storage slot per revoked credential (timestamp and reason packed).
 */
abstract contract CredentialRevocation is AccessControl, IssuerRoles, ICredentialRevocation {
    struct Revocation {
        uint64 revokedAt;
        uint16 reason;
    }

    mapping(bytes32 credentialHash => Revocation) private _revocations;

    /// @inheritdoc ICredentialRevocation
    function revokeCredential(bytes32 credentialHash, uint16 reason) external onlyRole(ISSUER_ADMIN_ROLE) {
        if (_revocations[credentialHash].revokedAt != 0) revert CredentialAlreadyRevoked(credentialHash);
        _revocations[credentialHash] = Revocation({revokedAt: uint64(block.timestamp), reason: reason});
        emit CredentialRevoked(credentialHash, reason);
    }

    /// @inheritdoc ICredentialRevocation
    function unrevokeCredential(bytes32 credentialHash) external onlyRole(ISSUER_ADMIN_ROLE) {
        if (_revocations[credentialHash].revokedAt == 0) revert CredentialNotRevoked(credentialHash);
        delete _revocations[credentialHash];
        emit CredentialUnrevoked(credentialHash);
    }

    /// @inheritdoc ICredentialRevocation
    function revocationOf(bytes32 credentialHash) external view returns (bool revoked, uint16 reason, uint64 revokedAt) {
        Revocation memory entry = _revocations[credentialHash];
        return (entry.revokedAt != 0, entry.reason, entry.revokedAt);
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(ICredentialRevocation).interfaceId || super.supportsInterface(interfaceId);
    }
}
