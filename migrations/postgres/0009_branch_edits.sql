-- Branches added, renamed or removed by admins' commands: 'file' rows follow branches.toml
-- at every start; 'command' rows keep what the command made; 'removed' rows are hidden and
-- not brought back by the file.
ALTER TABLE branches ADD COLUMN origin TEXT NOT NULL DEFAULT 'file';
