-- OAuth for MCP clients, browser sessions and magic links.
--
-- oauth_clients, web_sessions and magic_links belong to no tenant (a client
-- serves anyone; a session and a link belong to a user, who may be in several
-- tenants), like users. oauth_grants and oauth_refresh_tokens are tenant-owned:
-- RLS forced, as in 0001. Every secret is stored as an HMAC under the pepper.

CREATE TABLE oauth_clients (
  id             text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 2048),
  kind           text NOT NULL CHECK (kind IN ('registered', 'metadata_document')),
  client_name    text NOT NULL CHECK (length(client_name) BETWEEN 1 AND 200),
  redirect_uris  text[] NOT NULL CHECK (cardinality(redirect_uris) BETWEEN 1 AND 10),
  metadata       jsonb NOT NULL DEFAULT '{}',
  fetched_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE web_sessions (
  session_hash  bytea PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);

CREATE TABLE magic_links (
  token_hash  bytea PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX magic_links_user_idx ON magic_links (user_id);

CREATE TABLE oauth_grants (
  id             uuid PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  endpoint_id    uuid NOT NULL REFERENCES endpoints ON DELETE CASCADE,
  client_id      text NOT NULL REFERENCES oauth_clients,
  resource       text NOT NULL,
  user_id        uuid REFERENCES users ON DELETE SET NULL,
  scopes         text[] NOT NULL CHECK (scopes <@ ARRAY['mcp', 'mcp:write'] AND 'mcp' = ANY (scopes)),
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz,
  revoked_at     timestamptz,
  revoked_why    text
);
CREATE INDEX oauth_grants_tenant_idx ON oauth_grants (tenant_id);

CREATE TABLE oauth_refresh_tokens (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  grant_id    uuid NOT NULL REFERENCES oauth_grants ON DELETE CASCADE,
  token_hash  bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX oauth_refresh_tokens_grant_idx ON oauth_refresh_tokens (grant_id);

-- An access token issued through OAuth is an endpoint token of its grant.
ALTER TABLE endpoint_tokens ADD COLUMN oauth_grant_id uuid REFERENCES oauth_grants ON DELETE CASCADE;
CREATE INDEX endpoint_tokens_grant_idx ON endpoint_tokens (oauth_grant_id) WHERE oauth_grant_id IS NOT NULL;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['oauth_grants', 'oauth_refresh_tokens'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY worker_all ON %I TO berth_worker USING (true) WITH CHECK (true)', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO berth_api '
                   'USING (tenant_id = berth_current_tenant()) '
                   'WITH CHECK (tenant_id = berth_current_tenant())', t);
  END LOOP;
END $$;

-- The token endpoint meets a refresh token before it knows the tenant: this
-- opens exactly the row keyed by the token's HMAC, as berth_find_api_key does.
CREATE POLICY definer_lookup ON oauth_refresh_tokens FOR SELECT TO PUBLIC
  USING (current_setting('app.lookup_refresh_hash', true) = encode(token_hash, 'hex'));

CREATE FUNCTION berth_find_refresh_token(p_hash bytea)
RETURNS TABLE (id uuid, tenant_id uuid, grant_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM set_config('app.lookup_refresh_hash', encode(p_hash, 'hex'), true);
  RETURN QUERY SELECT r.id, r.tenant_id, r.grant_id FROM oauth_refresh_tokens r
    WHERE r.token_hash = p_hash;
END $$;

-- RFC 7009 revocation of an access token, also before the tenant is known.
CREATE POLICY definer_lookup ON endpoint_tokens FOR SELECT TO PUBLIC
  USING (current_setting('app.lookup_token_hash', true) = encode(token_hash, 'hex'));

CREATE FUNCTION berth_find_oauth_access(p_hash bytea)
RETURNS TABLE (tenant_id uuid, grant_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM set_config('app.lookup_token_hash', encode(p_hash, 'hex'), true);
  RETURN QUERY SELECT t.tenant_id, t.oauth_grant_id FROM endpoint_tokens t
    WHERE t.token_hash = p_hash AND t.oauth_grant_id IS NOT NULL;
END $$;

REVOKE ALL ON oauth_clients, web_sessions, magic_links, oauth_grants, oauth_refresh_tokens FROM PUBLIC;
REVOKE ALL ON FUNCTION berth_find_refresh_token(bytea), berth_find_oauth_access(bytea) FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE ON oauth_clients TO berth_api;
GRANT SELECT, INSERT, DELETE ON web_sessions TO berth_api;
GRANT SELECT, INSERT, UPDATE ON magic_links TO berth_api;
GRANT SELECT, INSERT, UPDATE ON oauth_grants, oauth_refresh_tokens TO berth_api;
GRANT EXECUTE ON FUNCTION berth_find_refresh_token(bytea), berth_find_oauth_access(bytea) TO berth_api;

GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_clients, web_sessions, magic_links, oauth_grants,
  oauth_refresh_tokens TO berth_worker;
