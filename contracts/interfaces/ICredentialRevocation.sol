// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title On-chain credential revocation
 * @notice The issuer revokes (and may reinstate) a credential by its hash, with a reason
 * code, so revocation can be checked with nothing but a chain RPC endpoint.
 * @dev Reason codes are Sello's (0 unspecified, 1 issued in error, 2 superseded,
 * 3 academic misconduct, 4 learner request); the contract stores them as given.
 */
interface ICredentialRevocation {
    /// @notice The credential is already revoked.
    /// @param credentialHash The credential's hash.
    error CredentialAlreadyRevoked(bytes32 credentialHash);

    /// @notice The credential is not revoked, so it cannot be reinstated.
    /// @param credentialHash The credential's hash.
    error CredentialNotRevoked(bytes32 credentialHash);

    /**
     * @notice Emitted when a credential was revoked.
     * @param credentialHash The credential's hash.
     * @param reason Sello's reason code.
     */
    event CredentialRevoked(bytes32 indexed credentialHash, uint16 reason);

    /**
     * @notice Emitted when a revoked credential was reinstated.
     * @param credentialHash The credential's hash.
     */
    event CredentialUnrevoked(bytes32 indexed credentialHash);

    /**
     * @notice Revokes a credential. Requires the issuer admin role.
     * @param credentialHash The credential's hash.
     * @param reason Sello's reason code.
     */
    function revokeCredential(bytes32 credentialHash, uint16 reason) external;

    /**
     * @notice Reinstates a revoked credential. Requires the issuer admin role.
     * @param credentialHash The credential's hash.
     */
    function unrevokeCredential(bytes32 credentialHash) external;

    /**
     * @notice Revocation state of a credential.
     * @param credentialHash The credential's hash.
     * @return revoked True while the credential is revoked.
     * @return reason The reason code given when revoked (0 when not revoked).
     * @return revokedAt Block timestamp of the revocation (0 when not revoked).
     */
    function revocationOf(bytes32 credentialHash) external view returns (bool revoked, uint16 reason, uint64 revokedAt);
}
