-- People who sign in through the identity provider are known by its issuer and subject (`sub`),
-- which the provider never reassigns, rather than by an e-mail anyone may be able to edit there.
ALTER TABLE accounts ADD COLUMN oidc_subject VARCHAR(512);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_by_subject ON accounts (oidc_subject);
