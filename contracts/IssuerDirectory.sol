// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {IIssuerDirectory} from "./interfaces/IIssuerDirectory.sol";

/**
 * @title IssuerDirectory
 * @notice The chain-wide directory of issuer DIDs and their registries (see
 * `IIssuerDirectory`).
 *
 * @dev No owner and no constructor arguments: the contract is the same bytes on every
 * chain, so CREATE2 through the deterministic deployment proxy puts it at the same
 * address everywhere, and anyone may deploy it where it is missing. Control is per DID.
 * First claim wins: the chain cannot know who held a domain when its did:web was
 * claimed, so the institution claims its DID when it first anchors, and verifiers with
 * the live DID document also check that it names the same registry.
 */
contract IssuerDirectory is ERC165, IIssuerDirectory {
    /// @dev The registry role that manages issuer keys (`IssuerRoles.ISSUER_ADMIN_ROLE`).
    bytes32 private constant _ISSUER_ADMIN_ROLE = keccak256("ISSUER_ADMIN_ROLE");

    mapping(bytes32 didHash => IssuerBinding) private _bindings;

    /// @inheritdoc IIssuerDirectory
    function claimIssuer(string calldata did, address registry) external {
        if (bytes(did).length == 0) revert EmptyIssuerDid();
        bytes32 didHash = keccak256(bytes(did));
        IssuerBinding storage binding = _bindings[didHash];
        if (binding.registry != address(0)) revert IssuerAlreadyClaimed(didHash, binding.registry, binding.controller);
        _requireRegistryAdmin(registry);
        _bindings[didHash] = IssuerBinding({
            registry: registry,
            boundAt: uint64(block.timestamp),
            controller: msg.sender,
            boundAtBlock: uint64(block.number)
        });
        emit IssuerClaimed(didHash, registry, msg.sender, did);
    }

    /// @inheritdoc IIssuerDirectory
    function moveIssuer(string calldata did, address registry) external {
        bytes32 didHash = keccak256(bytes(did));
        IssuerBinding storage binding = _controlledBinding(didHash);
        _requireRegistryAdmin(registry);
        address previous = binding.registry;
        binding.registry = registry;
        binding.boundAt = uint64(block.timestamp);
        binding.boundAtBlock = uint64(block.number);
        emit IssuerMoved(didHash, previous, registry);
    }

    /// @inheritdoc IIssuerDirectory
    function transferIssuerControl(string calldata did, address controller) external {
        if (controller == address(0)) revert ZeroAddress();
        bytes32 didHash = keccak256(bytes(did));
        IssuerBinding storage binding = _controlledBinding(didHash);
        address previous = binding.controller;
        binding.controller = controller;
        emit IssuerControlTransferred(didHash, previous, controller);
    }

    /// @inheritdoc IIssuerDirectory
    function issuerOf(string calldata did) external view returns (IssuerBinding memory) {
        return _bindings[keccak256(bytes(did))];
    }

    /// @inheritdoc ERC165
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IIssuerDirectory).interfaceId || super.supportsInterface(interfaceId);
    }

    function _controlledBinding(bytes32 didHash) private view returns (IssuerBinding storage binding) {
        binding = _bindings[didHash];
        if (binding.registry == address(0)) revert IssuerNotClaimed(didHash);
        if (binding.controller != msg.sender) revert NotIssuerController(didHash, msg.sender);
    }

    /// @dev A registry that is no contract, or answers `hasRole` with a revert, is not managed by anyone.
    function _requireRegistryAdmin(address registry) private view {
        if (registry == address(0)) revert ZeroAddress();
        bool admin = false;
        if (registry.code.length > 0) {
            try IAccessControl(registry).hasRole(_ISSUER_ADMIN_ROLE, msg.sender) returns (bool answer) {
                admin = answer;
            } catch {}
        }
        if (!admin) revert NotRegistryAdmin(registry, msg.sender);
    }
}
