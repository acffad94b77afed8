-- Berth catalog, first migration: every table, the application roles, RLS and
-- the append-only audit log. Applied by `berth migrate` under an advisory lock.

-- Application roles are cluster-wide; create each once. The migrating user
-- (the owner of every table) joins them so a pool can connect "as" a role.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['berth_api', 'berth_worker', 'berth_gateway'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', r);
    END IF;
    EXECUTE format('GRANT %I TO CURRENT_USER', r);
  END LOOP;
END $$;

CREATE FUNCTION berth_current_tenant() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid
$$;

CREATE TABLE tenants (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleting', 'deleted')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);

CREATE TABLE users (
  id             uuid PRIMARY KEY,
  email          text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  password_hash  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
  tenant_id   uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('owner', 'member')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE api_keys (
  id            uuid PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  user_id       uuid REFERENCES users ON DELETE SET NULL,
  name          text NOT NULL,
  key_hash      bytea NOT NULL UNIQUE,
  prefix        text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

CREATE TABLE endpoints (
  id                 uuid PRIMARY KEY,
  tenant_id          uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  slug               text NOT NULL UNIQUE,
  name               text NOT NULL,
  plan               text NOT NULL CHECK (plan IN ('free', 'pro', 'scale')),
  region             text,
  status             text NOT NULL DEFAULT 'provisioning'
                     CHECK (status IN ('provisioning', 'ready', 'failed', 'deleting', 'deleted')),
  failure_reason     text,
  provider           text NOT NULL,
  provider_ref       text,
  seal_key_id        text,
  sealed_owner_dsn   bytea,
  sealed_reader_dsn  bytea,
  public_docs        boolean NOT NULL DEFAULT false,
  idempotency_key    text,
  request_digest     bytea,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  deleted_at         timestamptz,
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX endpoints_tenant_idx ON endpoints (tenant_id);
CREATE INDEX endpoints_status_idx ON endpoints (status) WHERE status IN ('provisioning', 'deleting');

CREATE TABLE endpoint_tokens (
  id            uuid PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  endpoint_id   uuid NOT NULL REFERENCES endpoints ON DELETE CASCADE,
  name          text NOT NULL,
  token_hash    bytea NOT NULL UNIQUE,
  prefix        text NOT NULL,
  scopes        text[] NOT NULL CHECK (scopes <@ ARRAY['mcp', 'mcp:write'] AND 'mcp' = ANY (scopes)),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX endpoint_tokens_endpoint_idx ON endpoint_tokens (endpoint_id);

CREATE TABLE jobs (
  id            bigserial PRIMARY KEY,
  tenant_id     uuid,
  kind          text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}',
  status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'dead')),
  attempts      integer NOT NULL DEFAULT 0,
  max_attempts  integer NOT NULL DEFAULT 8,
  run_at        timestamptz NOT NULL DEFAULT now(),
  locked_by     text,
  locked_until  timestamptz,
  last_error    text,
  result        jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready_idx ON jobs (run_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_tenant_idx ON jobs (tenant_id);

-- No foreign keys: the audit trail outlives the tenant it speaks of.
CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  tenant_id    uuid,
  actor        text NOT NULL,
  action       text NOT NULL,
  target       text,
  outcome      text NOT NULL,
  request_id   text,
  endpoint_id  uuid,
  token_id     uuid,
  tool         text,
  args_digest  text,
  duration_ms  real,
  row_count    integer,
  detail       jsonb,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id DESC);

CREATE TABLE usage_monthly (
  tenant_id    uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  endpoint_id  uuid NOT NULL REFERENCES endpoints ON DELETE CASCADE,
  month        date NOT NULL,
  calls        bigint NOT NULL DEFAULT 0,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (endpoint_id, month)
);
CREATE INDEX usage_monthly_tenant_idx ON usage_monthly (tenant_id, month);

-- Append-only audit log: no UPDATE, DELETE or TRUNCATE, for anyone.
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Row-Level Security on every tenant-owned table, forced on the owner too.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenants', 'memberships', 'api_keys', 'endpoints',
                           'endpoint_tokens', 'jobs', 'audit_log', 'usage_monthly'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY worker_all ON %I TO berth_worker USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

CREATE POLICY tenant_isolation ON tenants TO berth_api
  USING (id = berth_current_tenant()) WITH CHECK (id = berth_current_tenant());
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['memberships', 'api_keys', 'endpoints', 'endpoint_tokens',
                           'jobs', 'audit_log', 'usage_monthly'] LOOP
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO berth_api '
                   'USING (tenant_id = berth_current_tenant()) '
                   'WITH CHECK (tenant_id = berth_current_tenant())', t);
  END LOOP;
END $$;

-- The gateway resolves tokens (any tenant's), reads the endpoint they open,
-- stamps last use and appends audit rows: nothing more.
CREATE POLICY gateway_read ON endpoint_tokens FOR SELECT TO berth_gateway USING (true);
CREATE POLICY gateway_touch ON endpoint_tokens FOR UPDATE TO berth_gateway USING (true) WITH CHECK (true);
CREATE POLICY gateway_read ON endpoints FOR SELECT TO berth_gateway USING (true);
CREATE POLICY gateway_read ON usage_monthly FOR SELECT TO berth_gateway USING (true);
CREATE POLICY gateway_append ON audit_log FOR INSERT TO berth_gateway WITH CHECK (true);

-- Lookups that must run before the tenant is known (login, API-key auth).
-- SECURITY DEFINER as the owner, who is subject to FORCEd RLS, so each opens
-- exactly one row by an unguessable key, never a table scan.
CREATE POLICY definer_lookup ON api_keys FOR SELECT TO PUBLIC
  USING (current_setting('app.lookup_key_hash', true) = encode(key_hash, 'hex'));
CREATE POLICY definer_lookup ON memberships FOR SELECT TO PUBLIC
  USING (current_setting('app.lookup_user_id', true) = user_id::text);

CREATE FUNCTION berth_find_api_key(p_hash bytea)
RETURNS TABLE (id uuid, tenant_id uuid, user_id uuid, revoked_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM set_config('app.lookup_key_hash', encode(p_hash, 'hex'), true);
  RETURN QUERY SELECT k.id, k.tenant_id, k.user_id, k.revoked_at FROM api_keys k
    WHERE k.key_hash = p_hash;
END $$;

CREATE FUNCTION berth_user_memberships(p_user uuid)
RETURNS TABLE (tenant_id uuid, role text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM set_config('app.lookup_user_id', p_user::text, true);
  RETURN QUERY SELECT m.tenant_id, m.role FROM memberships m
    WHERE m.user_id = p_user ORDER BY m.created_at;
END $$;

-- Grants. Nobody but the owner touches the schema.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON FUNCTION berth_find_api_key(bytea), berth_user_memberships(uuid) FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE ON tenants, users, memberships, api_keys, endpoints,
  endpoint_tokens, jobs TO berth_api;
GRANT DELETE ON memberships, api_keys TO berth_api;
GRANT SELECT ON usage_monthly TO berth_api;
GRANT SELECT, INSERT ON audit_log TO berth_api;
GRANT EXECUTE ON FUNCTION berth_find_api_key(bytea), berth_user_memberships(uuid) TO berth_api;

GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, users, memberships, api_keys, endpoints,
  endpoint_tokens, jobs, usage_monthly TO berth_worker;
GRANT SELECT, INSERT ON audit_log TO berth_worker;

GRANT SELECT (id, tenant_id, slug, plan, status, seal_key_id, sealed_owner_dsn,
  sealed_reader_dsn, public_docs, name) ON endpoints TO berth_gateway;
GRANT SELECT (id, tenant_id, endpoint_id, token_hash, scopes, expires_at, revoked_at)
  ON endpoint_tokens TO berth_gateway;
GRANT UPDATE (last_used_at) ON endpoint_tokens TO berth_gateway;
GRANT SELECT (endpoint_id, month, calls) ON usage_monthly TO berth_gateway;
GRANT INSERT ON audit_log TO berth_gateway;

GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO berth_api, berth_worker, berth_gateway;
