// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title On-chain credential suspension
 * @notice The issuer suspends a credential by its hash and may lift the suspension, so a
 * verifier tells a suspended credential from a valid one with nothing but a chain RPC
 * endpoint, after the issuer's status lists are gone. Suspension is independent of
 * revocation: a revoked credential may also be suspended, and lifting one leaves the other.
 */
interface ICredentialSuspension {
    /// @notice The credential is already suspended.
    /// @param credentialHash The credential's hash.
    error CredentialAlreadySuspended(bytes32 credentialHash);

    /// @notice The credential is not suspended, so there is nothing to lift.
    /// @param credentialHash The credential's hash.
    error CredentialNotSuspended(bytes32 credentialHash);

    /**
     * @notice Emitted when a credential was suspended.
     * @param credentialHash The credential's hash.
     */
    event CredentialSuspended(bytes32 indexed credentialHash);

    /**
     * @notice Emitted when a credential's suspension was lifted.
     * @param credentialHash The credential's hash.
     */
    event CredentialUnsuspended(bytes32 indexed credentialHash);

    /**
     * @notice Suspends a credential. Requires the issuer admin role.
     * @param credentialHash The credential's hash.
     */
    function suspendCredential(bytes32 credentialHash) external;

    /**
     * @notice Lifts a credential's suspension. Requires the issuer admin role.
     * @param credentialHash The credential's hash.
     */
    function unsuspendCredential(bytes32 credentialHash) external;

    /**
     * @notice Suspension state of a credential.
     * @param credentialHash The credential's hash.
     * @return suspended True while the credential is suspended.
     * @return suspendedAt Block timestamp of the suspension (0 when not suspended).
     */
    function suspensionOf(bytes32 credentialHash) external view returns (bool suspended, uint64 suspendedAt);
}
