// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Issuer directory
 * @notice One per chain, at the same address on every EVM chain (deployed through the
 * deterministic deployment proxy with CREATE2): binds an issuer DID to the registry that
 * issues for it and to a controller, the first time the DID is claimed. From then on only
 * the controller can move the DID to another registry or hand control on. A verifier
 * checks that the registry a credential names is the one bound to its issuer's DID, which
 * a second registry claiming the same DID (for example under a re-registered domain)
 * cannot change.
 *
 * @dev DIDs are keyed by `keccak256(bytes(did))`. The claimant must hold the registry's
 * `ISSUER_ADMIN_ROLE` (OpenZeppelin `AccessControl`), so nobody binds someone else's
 * registry to a DID of their choosing.
 */
interface IIssuerDirectory {
    /// @notice A DID's binding (all zero when the DID was never claimed).
    struct IssuerBinding {
        /// @dev The registry that issues for the DID.
        address registry;
        /// @dev Block timestamp of the claim or of the last move.
        uint64 boundAt;
        /// @dev The account that may move the DID or hand control on.
        address controller;
        /// @dev Block number of the claim or of the last move.
        uint64 boundAtBlock;
    }

    /// @notice The DID is empty.
    error EmptyIssuerDid();

    /// @notice The registry or controller is the zero address.
    error ZeroAddress();

    /// @notice The DID is already bound.
    /// @param didHash keccak256 of the DID.
    /// @param registry The registry it is bound to.
    /// @param controller Its controller.
    error IssuerAlreadyClaimed(bytes32 didHash, address registry, address controller);

    /// @notice The DID was never claimed.
    /// @param didHash keccak256 of the DID.
    error IssuerNotClaimed(bytes32 didHash);

    /// @notice Only the DID's controller may change its binding.
    /// @param didHash keccak256 of the DID.
    /// @param account The caller.
    error NotIssuerController(bytes32 didHash, address account);

    /// @notice The caller does not manage the registry (no `ISSUER_ADMIN_ROLE` there).
    /// @param registry The registry.
    /// @param account The caller.
    error NotRegistryAdmin(address registry, address account);

    /**
     * @notice Emitted when a DID was claimed for the first time.
     * @param didHash keccak256 of the DID.
     * @param registry The registry bound to it.
     * @param controller Its controller (the claimant).
     * @param did The DID.
     */
    event IssuerClaimed(bytes32 indexed didHash, address indexed registry, address indexed controller, string did);

    /**
     * @notice Emitted when a DID was moved to another registry by its controller.
     * @param didHash keccak256 of the DID.
     * @param previousRegistry The registry it was bound to.
     * @param registry The registry it is bound to now.
     */
    event IssuerMoved(bytes32 indexed didHash, address indexed previousRegistry, address indexed registry);

    /**
     * @notice Emitted when a DID's controller handed control on.
     * @param didHash keccak256 of the DID.
     * @param previousController The former controller.
     * @param controller The new controller.
     */
    event IssuerControlTransferred(bytes32 indexed didHash, address indexed previousController, address indexed controller);

    /**
     * @notice Binds an unclaimed DID to `registry`, with the caller as its controller.
     * @param did The issuer DID.
     * @param registry The registry that issues for it; the caller must hold its `ISSUER_ADMIN_ROLE`.
     */
    function claimIssuer(string calldata did, address registry) external;

    /**
     * @notice Moves a DID to another registry. Only its controller.
     * @param did The issuer DID.
     * @param registry The new registry; the caller must hold its `ISSUER_ADMIN_ROLE`.
     */
    function moveIssuer(string calldata did, address registry) external;

    /**
     * @notice Hands control of a DID to another account (a multisig, a successor). Only its controller.
     * @param did The issuer DID.
     * @param controller The new controller.
     */
    function transferIssuerControl(string calldata did, address controller) external;

    /**
     * @notice The binding of a DID (all zero when never claimed).
     * @param did The issuer DID.
     * @return The binding.
     */
    function issuerOf(string calldata did) external view returns (IssuerBinding memory);
}
