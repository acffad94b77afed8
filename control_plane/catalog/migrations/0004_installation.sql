-- The installation's identity and the reconciler's quarantine.
--
-- Every catalog gets one installation id at its first migrate. The local
-- provider labels each database it creates with it (in a ledger tenants cannot
-- reach), and reconcile and teardown act only on databases carrying their own
-- label, so two installations sharing a Postgres server never touch each
-- other's databases.
CREATE TABLE installation (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  singleton   boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton),
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO installation DEFAULT VALUES;

-- An orphan is quarantined (nobody can connect) before it is dropped, so a wrong
-- verdict can be undone with `berth reconcile restore` within the grace period.
CREATE TABLE quarantined_databases (
  ref             text PRIMARY KEY,
  endpoint_id     uuid,
  quarantined_at  timestamptz NOT NULL
);

REVOKE ALL ON installation, quarantined_databases FROM PUBLIC;
GRANT SELECT ON installation TO berth_api, berth_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON quarantined_databases TO berth_worker;
