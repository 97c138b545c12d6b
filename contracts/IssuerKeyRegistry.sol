// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IIssuerKeyRegistry} from "./interfaces/IIssuerKeyRegistry.sol";
import {IssuerRoles} from "./IssuerRoles.sol";

/**
 * @title IssuerKeyRegistry
 * @notice Issuer DIDs' Ed25519 keys with validity periods, rotation and revocation.
 * @dev Registration is rare (a few keys per institution), so keys are stored in full,
 * multibase string included: a verifier reads the key from the chain when the issuer's
 * DID document is no longer reachable.
 */
abstract contract IssuerKeyRegistry is AccessControl, IssuerRoles, IIssuerKeyRegistry {
    mapping(bytes32 keyRef => IssuerKey) private _keys;
    mapping(bytes32 didAndMultibase => string keyId) private _keyIdByMultibase;

    /// @inheritdoc IIssuerKeyRegistry
    function registerIssuerKey(
        string calldata did,
        string calldata keyId,
        string calldata publicKeyMultibase,
        uint64 validFrom,
        uint64 validUntil
    ) external onlyRole(ISSUER_ADMIN_ROLE) {
        _register(did, keyId, publicKeyMultibase, validFrom, validUntil);
    }

    /// @inheritdoc IIssuerKeyRegistry
    function setIssuerKeyExpiry(string calldata did, string calldata keyId, uint64 validUntil) external onlyRole(ISSUER_ADMIN_ROLE) {
        _setExpiry(_keyRef(did, keyId), validUntil);
    }

    /// @inheritdoc IIssuerKeyRegistry
    function rotateIssuerKey(
        string calldata did,
        string calldata oldKeyId,
        string calldata newKeyId,
        string calldata newPublicKeyMultibase,
        uint64 rotatedAt
    ) external onlyRole(ISSUER_ADMIN_ROLE) {
        bytes32 oldRef = _keyRef(did, oldKeyId);
        _setExpiry(oldRef, rotatedAt);
        bytes32 newRef = _register(did, newKeyId, newPublicKeyMultibase, rotatedAt, 0);
        emit IssuerKeyRotated(keccak256(bytes(did)), oldRef, newRef, rotatedAt);
    }

    /// @inheritdoc IIssuerKeyRegistry
    function revokeIssuerKey(string calldata did, string calldata keyId) external onlyRole(ISSUER_ADMIN_ROLE) {
        bytes32 ref = _keyRef(did, keyId);
        IssuerKey storage key = _keys[ref];
        if (!key.registered) revert IssuerKeyNotRegistered(ref);
        if (key.revokedAt != 0) revert IssuerKeyIsRevoked(ref);
        key.revokedAt = uint64(block.timestamp);
        emit IssuerKeyRevoked(ref, uint64(block.timestamp));
    }

    /// @inheritdoc IIssuerKeyRegistry
    function issuerKey(string calldata did, string calldata keyId) external view returns (IssuerKey memory) {
        return _keys[_keyRef(did, keyId)];
    }

    /// @inheritdoc IIssuerKeyRegistry
    function issuerKeyIdByMultibase(string calldata did, string calldata publicKeyMultibase) external view returns (string memory) {
        return _keyIdByMultibase[keccak256(abi.encode(did, publicKeyMultibase))];
    }

    /// @inheritdoc IIssuerKeyRegistry
    function isIssuerKeyValidAt(string calldata did, string calldata keyId, uint64 timestamp) external view returns (bool) {
        IssuerKey storage key = _keys[_keyRef(did, keyId)];
        return key.registered && key.revokedAt == 0 && key.validFrom <= timestamp && (key.validUntil == 0 || timestamp < key.validUntil);
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IIssuerKeyRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    function _register(
        string calldata did,
        string calldata keyId,
        string calldata publicKeyMultibase,
        uint64 validFrom,
        uint64 validUntil
    ) private returns (bytes32 ref) {
        if (bytes(did).length == 0 || bytes(keyId).length == 0 || bytes(publicKeyMultibase).length == 0) {
            revert EmptyIssuerKeyField();
        }
        if (validUntil != 0 && validUntil <= validFrom) revert InvalidKeyValidity(validFrom, validUntil);
        ref = _keyRef(did, keyId);
        if (_keys[ref].registered) revert IssuerKeyAlreadyRegistered(ref);
        _keys[ref] = IssuerKey({
            publicKeyMultibase: publicKeyMultibase,
            validFrom: validFrom,
            validUntil: validUntil,
            revokedAt: 0,
            registered: true
        });
        _keyIdByMultibase[keccak256(abi.encode(did, publicKeyMultibase))] = keyId;
        emit IssuerKeyRegistered(keccak256(bytes(did)), ref, did, keyId, publicKeyMultibase, validFrom, validUntil);
    }

    function _setExpiry(bytes32 ref, uint64 validUntil) private {
        IssuerKey storage key = _keys[ref];
        if (!key.registered) revert IssuerKeyNotRegistered(ref);
        if (key.revokedAt != 0) revert IssuerKeyIsRevoked(ref);
        if (validUntil != 0 && validUntil <= key.validFrom) revert InvalidKeyValidity(key.validFrom, validUntil);
        key.validUntil = validUntil;
        emit IssuerKeyExpirySet(ref, validUntil);
    }

    function _keyRef(string calldata did, string calldata keyId) private pure returns (bytes32) {
        return keccak256(abi.encode(did, keyId));
    }
}
