-- Snapshots loaded from a file (`sbx snapshot import`): their restores mount no agent credentials unless asked.
ALTER TABLE snapshots ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
