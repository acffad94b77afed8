-- Sign-ups waiting for their address to be confirmed (when Berth sends mail).
--
-- No user and no tenant exist until the mailed link is used with the password
-- chosen at sign-up, so nobody can hold an address they do not read. Like
-- users and magic_links, a pending sign-up belongs to no tenant. The token is
-- kept as an HMAC under the pepper and the password as its argon2id hash; a
-- confirmed row is deleted (with every other row of its address), and the
-- worker's prune job deletes expired ones.

CREATE TABLE pending_signups (
  token_hash     bytea PRIMARY KEY,
  email          text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  password_hash  text NOT NULL,
  tenant_name    text NOT NULL CHECK (length(tenant_name) BETWEEN 1 AND 200),
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL
);
CREATE INDEX pending_signups_email_idx ON pending_signups (lower(email));
CREATE INDEX pending_signups_expiry_idx ON pending_signups (expires_at);

REVOKE ALL ON pending_signups FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON pending_signups TO berth_api;
GRANT SELECT, DELETE ON pending_signups TO berth_worker;
