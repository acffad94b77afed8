-- The plan belongs to the tenant: the operator sets it (`berth tenants set-plan`),
-- and an endpoint takes at most its tenant's plan.
ALTER TABLE tenants ADD COLUMN plan text NOT NULL DEFAULT 'free'
  CHECK (plan IN ('free', 'pro', 'scale'));

-- Existing tenants keep what their endpoints already use.
UPDATE tenants t SET plan = (ARRAY['free', 'pro', 'scale'])[best.rank]
FROM (
  SELECT tenant_id, max(array_position(ARRAY['free', 'pro', 'scale'], plan)) AS rank
  FROM endpoints WHERE status <> 'deleted' GROUP BY tenant_id
) best
WHERE best.tenant_id = t.id;

-- A failed login for an unknown email belongs to no tenant; the API may append
-- exactly that row (the per-address throttle bounds how many).
CREATE POLICY login_audit ON audit_log FOR INSERT TO berth_api
  WITH CHECK (tenant_id IS NULL AND action = 'login.failed' AND actor = 'anonymous');
