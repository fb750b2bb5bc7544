-- Who may do what: accounts, their roles per business line, browser sessions, API tokens,
-- one-time links (the first administrator's setup, invitations), sign-in states of OIDC
-- logins in flight, and whose each share pack and upload is. Secrets handed out (session ids,
-- tokens, links, states) are stored only as SHA-256 digests.

-- People who sign in: local accounts (a password hash, Argon2id) or from the identity provider.
CREATE TABLE IF NOT EXISTS accounts (
    user_id       UUID PRIMARY KEY,
    email         VARCHAR(255) NOT NULL,
    display_name  VARCHAR(255) NOT NULL DEFAULT '',
    password_hash TEXT,
    source        VARCHAR(16) NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    VARCHAR(255) NOT NULL,
    disabled_at   TIMESTAMPTZ
);
-- E-mails are kept lower-case; one account per e-mail.
CREATE UNIQUE INDEX IF NOT EXISTS accounts_by_email ON accounts (email);

-- Roles per business line ('' for every business line). Grants from the identity provider's
-- groups are replaced at each sign-in; those an administrator made stay until revoked.
CREATE TABLE IF NOT EXISTS role_grants (
    user_id       UUID NOT NULL REFERENCES accounts (user_id),
    role          VARCHAR(16) NOT NULL,
    business_line VARCHAR(255) NOT NULL,
    source        VARCHAR(16) NOT NULL,
    granted_by    VARCHAR(255) NOT NULL,
    granted_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, role, business_line, source)
);

-- Browser sessions, known to every portal instance.
CREATE TABLE IF NOT EXISTS sessions (
    session_hash  VARCHAR(64) PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES accounts (user_id),
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);

-- API tokens for scripts and CI.
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id      UUID PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES accounts (user_id),
    name          VARCHAR(100) NOT NULL,
    token_hash    VARCHAR(64) NOT NULL,
    hint          VARCHAR(32) NOT NULL,
    scopes        VARCHAR(64) NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_by_hash ON api_tokens (token_hash);
CREATE INDEX IF NOT EXISTS api_tokens_by_user ON api_tokens (user_id, created_at);

-- One-time links: 'first_admin' (no account yet) and 'invite' (set the password of user_id).
CREATE TABLE IF NOT EXISTS one_time_links (
    link_hash     VARCHAR(64) PRIMARY KEY,
    purpose       VARCHAR(16) NOT NULL,
    user_id       UUID,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ
);

-- OIDC sign-ins in flight: the PKCE verifier and nonce of a state, for about ten minutes, so that
-- the callback may reach any portal instance.
CREATE TABLE IF NOT EXISTS sign_in_states (
    state_hash    VARCHAR(64) PRIMARY KEY,
    pkce_verifier TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Whose each share pack is: its business line ('' when the pack could not be read) and who first
-- submitted it. A share pack's key includes its business line, so neither ever changes.
CREATE TABLE IF NOT EXISTS share_pack_owners (
    share_pack_id UUID PRIMARY KEY,
    business_line VARCHAR(255) NOT NULL,
    created_by    VARCHAR(255) NOT NULL
);
CREATE INDEX IF NOT EXISTS share_pack_owners_by_line ON share_pack_owners (lower(business_line));
INSERT INTO share_pack_owners (share_pack_id, business_line, created_by)
    SELECT share_pack_id, COALESCE(json_extract(data, '$.business_line'), ''), created_by FROM share_packs WHERE version = 1
    ON CONFLICT (share_pack_id) DO NOTHING;

-- Who dropped each upload, and the business line its pack names ('' when unreadable).
ALTER TABLE uploads ADD COLUMN uploaded_by VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE uploads ADD COLUMN business_line VARCHAR(255) NOT NULL DEFAULT '';
