// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Trust list of issuers
 * @notice A consortium's public list of member issuer DIDs (for example a regional
 * council of universities), managed by the consortium's own owner key or multisig, so a
 * verifier can report "Member of: <name>" for a credential's issuer with nothing but an
 * RPC endpoint. Every change is an event, so the list's history can be rebuilt from logs.
 *
 * @dev DIDs are keyed by `keccak256(bytes(did))`.
 */
interface ITrustList {
    /// @notice The DID is empty.
    error EmptyMemberDid();

    /// @notice The DID is already a member.
    /// @param didHash keccak256 of the DID.
    error AlreadyMember(bytes32 didHash);

    /// @notice The DID is not a member.
    /// @param didHash keccak256 of the DID.
    error NotMember(bytes32 didHash);

    /**
     * @notice Emitted when a DID was added to the list.
     * @param didHash keccak256 of the DID.
     * @param did The DID.
     */
    event MemberAdded(bytes32 indexed didHash, string did);

    /**
     * @notice Emitted when a DID was removed from the list.
     * @param didHash keccak256 of the DID.
     * @param did The DID.
     */
    event MemberRemoved(bytes32 indexed didHash, string did);

    /**
     * @notice Emitted when the list was renamed.
     * @param name The new name.
     */
    event ListRenamed(string name);

    /// @notice The list's display name ("Regional Council of Universities").
    function listName() external view returns (string memory);

    /**
     * @notice Adds an issuer DID. Requires the list manager role.
     * @param did The issuer DID.
     */
    function addMember(string calldata did) external;

    /**
     * @notice Removes an issuer DID. Requires the list manager role.
     * @param did The issuer DID.
     */
    function removeMember(string calldata did) external;

    /**
     * @notice Renames the list. Requires the default admin role.
     * @param name The new name.
     */
    function setListName(string calldata name) external;

    /**
     * @notice Whether a DID is a member, and since when.
     * @param did The issuer DID.
     * @return member True while the DID is on the list.
     * @return since Block timestamp of its addition (0 when not a member).
     */
    function membershipOf(string calldata did) external view returns (bool member, uint64 since);
}
