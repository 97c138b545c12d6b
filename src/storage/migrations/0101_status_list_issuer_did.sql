-- Status lists belong to the issuer DID that their credentials carry. A status list must
-- be issued by the issuer of the credentials it covers
-- (https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm), and a did:key
-- issuer's DID changes with every key rotation: each DID gets lists of its own, signed by
-- a key of that DID (for a did:key, the key that is the DID, kept after rotation for this).
-- A did:web issuer keeps one DID, and so its lists, across rotations.
ALTER TABLE status_list_groups ADD COLUMN issuer_did text;

-- Existing groups take the DID of the credentials they hold (of the oldest one, should a
-- did:key issuer have rotated while filling a group). A group that holds no credential
-- stays NULL: signed by the issuer's current DID, as before, and given no new credentials.
UPDATE status_list_groups g SET issuer_did = (
  SELECT COALESCE(c.document -> 'issuer' ->> 'id', c.document ->> 'issuer')
  FROM status_list_entries e JOIN credentials c ON c.id = e.credential_id
  WHERE e.group_id = g.id
  ORDER BY c.created_at, c.id
  LIMIT 1
);

DROP INDEX status_list_groups_issuer;
CREATE INDEX status_list_groups_issuer ON status_list_groups (issuer_id, issuer_did, created_at);
