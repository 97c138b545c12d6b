-- A group's `allocated` is counted by the database as the signing transaction commits,
-- not by a statement the signer sends last. The counting UPDATE locks the group's row,
-- and every signing of the issuer's DID counts on that one row: sent by the signer, the
-- lock lasted from that statement until the signer's process got round to sending COMMIT,
-- so on a busy machine every other signing, in every Sello process, queued behind one
-- event loop (issue 15: with 3 processes, most sampled backends waited on it). A deferred
-- trigger runs inside COMMIT, so the row is locked only while the commit is written.
-- It counts exactly the entries that commit, as before.
CREATE FUNCTION count_status_list_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE status_list_groups SET allocated = allocated + 1 WHERE id = NEW.group_id;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER status_list_entries_counted AFTER INSERT ON status_list_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_status_list_allocation();
