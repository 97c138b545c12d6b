// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Issuer key registry
 * @notice The institution registers its issuer DID's Ed25519 signing keys (multibase) with
 * their validity period, so a verifier can tell whether a key was valid when a credential
 * was issued even when the issuer's domain (did:web) is gone.
 *
 * @dev Keys are identified by `(did, keyId)` where `keyId` is the full verification method
 * id (`did:web:example.edu#key-1`), hashed as `keccak256(abi.encode(did, keyId))`.
 * Expiry (`validUntil`, set on rotation) ends a key's period without touching credentials
 * issued before; revocation marks the key compromised, and verifiers reject every
 * credential signed with it.
 */
interface IIssuerKeyRegistry {
    /// @notice A key record as stored on-chain.
    struct IssuerKey {
        /// @dev The Ed25519 public key, multibase (`z6Mk…`).
        string publicKeyMultibase;
        /// @dev Start of validity, Unix seconds.
        uint64 validFrom;
        /// @dev End of validity (exclusive), Unix seconds; 0 for open-ended.
        uint64 validUntil;
        /// @dev Block timestamp of revocation; 0 when not revoked.
        uint64 revokedAt;
        /// @dev True once registered.
        bool registered;
    }

    /// @notice The key is already registered.
    /// @param keyRef keccak256(abi.encode(did, keyId)).
    error IssuerKeyAlreadyRegistered(bytes32 keyRef);

    /// @notice No key is registered under this reference.
    /// @param keyRef keccak256(abi.encode(did, keyId)).
    error IssuerKeyNotRegistered(bytes32 keyRef);

    /// @notice The key is revoked and can no longer change.
    /// @param keyRef keccak256(abi.encode(did, keyId)).
    error IssuerKeyIsRevoked(bytes32 keyRef);

    /// @notice The validity period ends before it starts.
    /// @param validFrom Start of validity.
    /// @param validUntil End of validity.
    error InvalidKeyValidity(uint64 validFrom, uint64 validUntil);

    /// @notice The DID, key id or public key is empty.
    error EmptyIssuerKeyField();

    /**
     * @notice Emitted when a key was registered.
     * @param didHash keccak256 of the DID string.
     * @param keyRef keccak256(abi.encode(did, keyId)).
     * @param did The issuer DID.
     * @param keyId The verification method id.
     * @param publicKeyMultibase The Ed25519 public key, multibase.
     * @param validFrom Start of validity.
     * @param validUntil End of validity, 0 for open-ended.
     */
    event IssuerKeyRegistered(
        bytes32 indexed didHash,
        bytes32 indexed keyRef,
        string did,
        string keyId,
        string publicKeyMultibase,
        uint64 validFrom,
        uint64 validUntil
    );

    /**
     * @notice Emitted when a key's end of validity was changed (rotation, planned expiry).
     * @param keyRef keccak256(abi.encode(did, keyId)).
     * @param validUntil The new end of validity, 0 for open-ended.
     */
    event IssuerKeyExpirySet(bytes32 indexed keyRef, uint64 validUntil);

    /**
     * @notice Emitted when a key was rotated: the old key expired and the new one started.
     * @param didHash keccak256 of the DID string.
     * @param oldKeyRef The expired key.
     * @param newKeyRef The key that replaces it.
     * @param rotatedAt The moment the old key ended and the new one began.
     */
    event IssuerKeyRotated(bytes32 indexed didHash, bytes32 indexed oldKeyRef, bytes32 indexed newKeyRef, uint64 rotatedAt);

    /**
     * @notice Emitted when a key was revoked (compromised).
     * @param keyRef keccak256(abi.encode(did, keyId)).
     * @param revokedAt Block timestamp of the revocation.
     */
    event IssuerKeyRevoked(bytes32 indexed keyRef, uint64 revokedAt);

    /**
     * @notice Registers a signing key of an issuer DID. Requires the issuer admin role.
     * @param did The issuer DID.
     * @param keyId The verification method id.
     * @param publicKeyMultibase The Ed25519 public key, multibase.
     * @param validFrom Start of validity, Unix seconds.
     * @param validUntil End of validity, Unix seconds; 0 for open-ended.
     */
    function registerIssuerKey(
        string calldata did,
        string calldata keyId,
        string calldata publicKeyMultibase,
        uint64 validFrom,
        uint64 validUntil
    ) external;

    /**
     * @notice Sets when a key stops being valid. Requires the issuer admin role.
     * @param did The issuer DID.
     * @param keyId The verification method id.
     * @param validUntil End of validity, Unix seconds; 0 for open-ended.
     */
    function setIssuerKeyExpiry(string calldata did, string calldata keyId, uint64 validUntil) external;

    /**
     * @notice Ends an old key at `rotatedAt` and registers its successor from that moment.
     * Requires the issuer admin role.
     * @param did The issuer DID.
     * @param oldKeyId The key being retired.
     * @param newKeyId The successor's verification method id.
     * @param newPublicKeyMultibase The successor's public key, multibase.
     * @param rotatedAt The moment of rotation, Unix seconds.
     */
    function rotateIssuerKey(
        string calldata did,
        string calldata oldKeyId,
        string calldata newKeyId,
        string calldata newPublicKeyMultibase,
        uint64 rotatedAt
    ) external;

    /**
     * @notice Revokes a compromised key. Requires the issuer admin role.
     * @param did The issuer DID.
     * @param keyId The verification method id.
     */
    function revokeIssuerKey(string calldata did, string calldata keyId) external;

    /**
     * @notice The record of a key (all zero with `registered == false` when unknown).
     * @param did The issuer DID.
     * @param keyId The verification method id.
     * @return The key record.
     */
    function issuerKey(string calldata did, string calldata keyId) external view returns (IssuerKey memory);

    /**
     * @notice The key id registered for a DID's public key, for credentials whose
     * verification method names the key itself (did:key).
     * @param did The issuer DID.
     * @param publicKeyMultibase The public key, multibase.
     * @return keyId The verification method id ("" when unknown).
     */
    function issuerKeyIdByMultibase(string calldata did, string calldata publicKeyMultibase) external view returns (string memory keyId);

    /**
     * @notice True when the key was registered, not revoked and valid at `timestamp`.
     * @param did The issuer DID.
     * @param keyId The verification method id.
     * @param timestamp Unix seconds.
     * @return True when the key was valid at `timestamp`.
     */
    function isIssuerKeyValidAt(string calldata did, string calldata keyId, uint64 timestamp) external view returns (bool);
}
