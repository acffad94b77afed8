-- Imports: one row per uploaded file, from upload to loaded (or failed), under tenant RLS.
-- The bytes wait in the spool file named by spool_path until the worker has loaded them.

CREATE TABLE imports (
  id             uuid PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
  endpoint_id    uuid NOT NULL REFERENCES endpoints ON DELETE CASCADE,
  format         text NOT NULL CHECK (format IN ('csv', 'tsv', 'json', 'ndjson', 'xlsx', 'parquet')),
  table_name     text,
  mode           text NOT NULL CHECK (mode IN ('create', 'replace', 'append')),
  options        jsonb NOT NULL DEFAULT '{}',
  state          text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'loading', 'done', 'failed')),
  spool_path     text,
  bytes_total    bigint NOT NULL DEFAULT 0,
  bytes_done     bigint NOT NULL DEFAULT 0,
  rows_done      bigint NOT NULL DEFAULT 0,
  rows_rejected  bigint NOT NULL DEFAULT 0,
  tables         jsonb NOT NULL DEFAULT '[]',
  errors         jsonb NOT NULL DEFAULT '[]',
  actor          text NOT NULL,
  request_id     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  finished_at    timestamptz,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX imports_endpoint_idx ON imports (endpoint_id, created_at DESC);
CREATE INDEX imports_tenant_idx ON imports (tenant_id);

ALTER TABLE imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE imports FORCE ROW LEVEL SECURITY;
CREATE POLICY worker_all ON imports TO berth_worker USING (true) WITH CHECK (true);
CREATE POLICY tenant_isolation ON imports TO berth_api
  USING (tenant_id = berth_current_tenant()) WITH CHECK (tenant_id = berth_current_tenant());

REVOKE ALL ON imports FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON imports TO berth_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON imports TO berth_worker;
