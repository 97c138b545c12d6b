// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ITrustList} from "./interfaces/ITrustList.sol";

/**
 * @title TrustList
 * @notice A consortium's on-chain list of member issuer DIDs (see `ITrustList`).
 * @dev Roles (OpenZeppelin `AccessControl`): the default admin (the consortium's owner
 * key or multisig) manages roles and the name; `LIST_MANAGER_ROLE` adds and removes
 * members. The admin given at deployment receives both.
 */
contract TrustList is AccessControl, ITrustList {
    /// @notice Role allowed to add and remove members.
    bytes32 public constant LIST_MANAGER_ROLE = keccak256("LIST_MANAGER_ROLE");

    string private _name;
    mapping(bytes32 didHash => uint64 since) private _members;

    /**
     * @param name The list's display name.
     * @param admin The consortium's owner key or multisig: receives every role.
     */
    constructor(string memory name, address admin) {
        _name = name;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(LIST_MANAGER_ROLE, admin);
    }

    /// @inheritdoc ITrustList
    function listName() external view returns (string memory) {
        return _name;
    }

    /// @inheritdoc ITrustList
    function addMember(string calldata did) external onlyRole(LIST_MANAGER_ROLE) {
        if (bytes(did).length == 0) revert EmptyMemberDid();
        bytes32 didHash = keccak256(bytes(did));
        if (_members[didHash] != 0) revert AlreadyMember(didHash);
        _members[didHash] = uint64(block.timestamp);
        emit MemberAdded(didHash, did);
    }

    /// @inheritdoc ITrustList
    function removeMember(string calldata did) external onlyRole(LIST_MANAGER_ROLE) {
        bytes32 didHash = keccak256(bytes(did));
        if (_members[didHash] == 0) revert NotMember(didHash);
        delete _members[didHash];
        emit MemberRemoved(didHash, did);
    }

    /// @inheritdoc ITrustList
    function setListName(string calldata name) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _name = name;
        emit ListRenamed(name);
    }

    /// @inheritdoc ITrustList
    function membershipOf(string calldata did) external view returns (bool member, uint64 since) {
        since = _members[keccak256(bytes(did))];
        return (since != 0, since);
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(ITrustList).interfaceId || super.supportsInterface(interfaceId);
    }
}
