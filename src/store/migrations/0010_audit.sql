-- The audit log (issue 7): each entry is a leaf of an RFC 9162 Merkle tree. audit_nodes
-- keeps the head of every complete subtree (level 0: the leaf hashes), so tree heads and
-- proofs cost O(log n) reads; audit_heads keeps the signed tree heads. Nothing may change
-- or delete a row: the triggers refuse it (and `gatehouse audit verify` finds it if someone
-- edits the file underneath).
CREATE TABLE audit_entries (
    idx     INTEGER PRIMARY KEY, -- the leaf index, from 0, with no gap
    time_us INTEGER NOT NULL,
    entry   TEXT NOT NULL        -- the canonical JSON the leaf hash covers
);
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE audit_heads (
    size      INTEGER PRIMARY KEY,
    time_us   INTEGER NOT NULL,
    root      BLOB NOT NULL CHECK (length(root) = 32),
    signature BLOB NOT NULL CHECK (length(signature) = 64)
);
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_nodes_no_update BEFORE UPDATE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_nodes_no_delete BEFORE DELETE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
