-- Lists of kept entities as of a moment (issue 15): pages by name over every version, not only
-- the current ones, so an as-of page walks names in order and reads only each key's versions.
CREATE INDEX IF NOT EXISTS share_packs_by_name ON share_packs (name, share_pack_id, effective_from);
CREATE INDEX IF NOT EXISTS recipients_by_name ON recipients (name, recipient_id, effective_from);
CREATE INDEX IF NOT EXISTS shares_by_name ON shares (name, share_id, effective_from);
CREATE INDEX IF NOT EXISTS tenants_by_name ON tenants (name, tenant_id, effective_from);
CREATE INDEX IF NOT EXISTS projects_by_name ON projects (name, project_id, effective_from);

-- Who uploaded each version, so its uploader (and only they) may delete it while it is a draft;
-- a deleted draft keeps its row (its number is never given again) without its content.
ALTER TABLE share_pack_files ADD COLUMN uploaded_by VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE share_pack_files ADD COLUMN deleted_by VARCHAR(255);
