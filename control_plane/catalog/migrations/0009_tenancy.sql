-- Tenancy beyond one person: roles and invitations, endpoints shared between
-- tenants after explicit acceptance, and support access with the owner's consent.
--
-- invitations, endpoint_shares and support_requests are tenant-owned: RLS
-- forced, as in 0001. A share is also visible to the tenant it is offered to
-- (never its endpoint until accepted); every secret is stored as an HMAC.

ALTER TABLE memberships DROP CONSTRAINT memberships_role_check;
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check
  CHECK (role IN ('owner', 'admin', 'member', 'viewer'));

CREATE TABLE invitations (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  email        text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  role         text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  token_hash   bytea NOT NULL UNIQUE,
  invited_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  accepted_at  timestamptz,
  accepted_by  uuid,
  revoked_at   timestamptz
);
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id, created_at);

CREATE TABLE endpoint_shares (
  id                 uuid PRIMARY KEY,
  tenant_id          uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,  -- the offering tenant
  endpoint_id        uuid NOT NULL REFERENCES endpoints ON DELETE CASCADE,
  grantee_tenant_id  uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  access             text NOT NULL CHECK (access IN ('read', 'read_write')),
  status             text NOT NULL DEFAULT 'offered'
                     CHECK (status IN ('offered', 'accepted', 'declined', 'revoked')),
  endpoint_name      text NOT NULL,
  endpoint_slug      text NOT NULL,
  from_tenant_name   text NOT NULL,
  offered_by         text NOT NULL,
  offered_at         timestamptz NOT NULL,
  decided_by         text,
  decided_at         timestamptz,
  revoked_by         text,
  revoked_at         timestamptz,
  CHECK (grantee_tenant_id <> tenant_id)
);
CREATE INDEX endpoint_shares_tenant_idx ON endpoint_shares (tenant_id);
CREATE INDEX endpoint_shares_grantee_idx ON endpoint_shares (grantee_tenant_id);
CREATE UNIQUE INDEX endpoint_shares_live_key ON endpoint_shares (endpoint_id, grantee_tenant_id)
  WHERE status IN ('offered', 'accepted');

-- Who offered what to whom, and on which terms, never changes: only the status moves.
CREATE FUNCTION endpoint_shares_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.tenant_id, NEW.endpoint_id, NEW.grantee_tenant_id, NEW.access, NEW.offered_by, NEW.offered_at)
     IS DISTINCT FROM
     (OLD.tenant_id, OLD.endpoint_id, OLD.grantee_tenant_id, OLD.access, OLD.offered_by, OLD.offered_at) THEN
    RAISE EXCEPTION 'the terms of a share never change' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER endpoint_shares_terms BEFORE UPDATE ON endpoint_shares
  FOR EACH ROW EXECUTE FUNCTION endpoint_shares_fixed();

-- A token another tenant issues for a shared endpoint names its share.
ALTER TABLE endpoint_tokens ADD COLUMN share_id uuid REFERENCES endpoint_shares ON DELETE CASCADE;
CREATE INDEX endpoint_tokens_share_idx ON endpoint_tokens (share_id) WHERE share_id IS NOT NULL;

CREATE TABLE support_requests (
  id               uuid PRIMARY KEY,
  tenant_id        uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  operator         text NOT NULL CHECK (length(operator) BETWEEN 1 AND 200),
  reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  status           text NOT NULL DEFAULT 'requested'
                   CHECK (status IN ('requested', 'approved', 'refused', 'revoked')),
  credential_hash  bytea NOT NULL UNIQUE,
  requested_at     timestamptz NOT NULL,
  decided_by       text,
  decided_at       timestamptz,
  expires_at       timestamptz,
  revoked_at       timestamptz,
  CHECK (expires_at IS NULL OR expires_at <= decided_at + interval '24 hours')
);
CREATE INDEX support_requests_tenant_idx ON support_requests (tenant_id, requested_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['invitations', 'endpoint_shares', 'support_requests'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY worker_all ON %I TO berth_worker USING (true) WITH CHECK (true)', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO berth_api '
                   'USING (tenant_id = berth_current_tenant()) '
                   'WITH CHECK (tenant_id = berth_current_tenant())', t);
  END LOOP;
END $$;

-- The tenant a share is offered to sees the offer and decides it; nothing else of the offerer's.
CREATE POLICY grantee_view ON endpoint_shares FOR SELECT TO berth_api
  USING (grantee_tenant_id = berth_current_tenant());
CREATE POLICY grantee_decide ON endpoint_shares FOR UPDATE TO berth_api
  USING (grantee_tenant_id = berth_current_tenant())
  WITH CHECK (grantee_tenant_id = berth_current_tenant());
-- Once accepted (and only while accepted), the grantee reads the shared endpoint's row.
CREATE POLICY grantee_read ON endpoints FOR SELECT TO berth_api
  USING (id IN (SELECT s.endpoint_id FROM endpoint_shares s
                WHERE s.grantee_tenant_id = berth_current_tenant() AND s.status = 'accepted'));
-- The offerer sees and revokes the tokens issued under its shares (revoking a share, deleting E).
CREATE POLICY share_owner_read ON endpoint_tokens FOR SELECT TO berth_api
  USING (share_id IN (SELECT s.id FROM endpoint_shares s WHERE s.tenant_id = berth_current_tenant()));
CREATE POLICY share_owner_revoke ON endpoint_tokens FOR UPDATE TO berth_api
  USING (share_id IN (SELECT s.id FROM endpoint_shares s WHERE s.tenant_id = berth_current_tenant()))
  WITH CHECK (share_id IN (SELECT s.id FROM endpoint_shares s WHERE s.tenant_id = berth_current_tenant()));

-- Lookups before the tenant is known, each opening one row by an unguessable key (as in 0001).
CREATE POLICY definer_lookup ON invitations FOR SELECT TO PUBLIC
  USING (current_setting('app.lookup_invitation_hash', true) = encode(token_hash, 'hex'));
CREATE POLICY definer_lookup ON support_requests FOR SELECT TO PUBLIC
  USING (current_setting('app.lookup_support_hash', true) = encode(credential_hash, 'hex'));
CREATE POLICY definer_lookup ON tenants FOR SELECT TO PUBLIC
  USING (current_setting('app.lookup_tenant_id', true) = id::text);

CREATE FUNCTION berth_find_invitation(p_hash bytea)
RETURNS TABLE (id uuid, tenant_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM set_config('app.lookup_invitation_hash', encode(p_hash, 'hex'), true);
  RETURN QUERY SELECT i.id, i.tenant_id FROM invitations i WHERE i.token_hash = p_hash;
END $$;

CREATE FUNCTION berth_find_support_credential(p_hash bytea)
RETURNS TABLE (id uuid, tenant_id uuid, status text, expires_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM set_config('app.lookup_support_hash', encode(p_hash, 'hex'), true);
  RETURN QUERY SELECT s.id, s.tenant_id, s.status, s.expires_at FROM support_requests s
    WHERE s.credential_hash = p_hash;
END $$;

-- Whether a tenant named by id can be offered a share: active, and its name for the offer.
CREATE FUNCTION berth_find_tenant(p_id uuid)
RETURNS TABLE (id uuid, name text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM set_config('app.lookup_tenant_id', p_id::text, true);
  RETURN QUERY SELECT t.id, t.name FROM tenants t WHERE t.id = p_id AND t.status = 'active';
END $$;

-- The gateway resolves support credentials for the support path, read-only.
CREATE POLICY gateway_read ON support_requests FOR SELECT TO berth_gateway USING (true);

REVOKE ALL ON invitations, endpoint_shares, support_requests FROM PUBLIC;
REVOKE ALL ON FUNCTION berth_find_invitation(bytea), berth_find_support_credential(bytea),
  berth_find_tenant(uuid) FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE ON invitations, endpoint_shares TO berth_api;
GRANT SELECT, UPDATE ON support_requests TO berth_api;
GRANT EXECUTE ON FUNCTION berth_find_invitation(bytea), berth_find_support_credential(bytea),
  berth_find_tenant(uuid) TO berth_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations, endpoint_shares, support_requests TO berth_worker;
GRANT SELECT (id, tenant_id, credential_hash, status, expires_at) ON support_requests TO berth_gateway;
GRANT SELECT (share_id) ON endpoint_tokens TO berth_gateway;
