// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IssuerRoles
 * @notice The role shared by the issuer-facing parts of the registry (keys, revocation).
 */
abstract contract IssuerRoles {
    /// @notice Role allowed to manage issuer keys and revoke credentials: the institution.
    bytes32 public constant ISSUER_ADMIN_ROLE = keccak256("ISSUER_ADMIN_ROLE");
}
