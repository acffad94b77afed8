-- The gateway's import tools (import_file, import_url, get_import): it records an import
-- and its job as an upload through the API does, and reads imports back, nothing more.

CREATE POLICY gateway_add ON imports FOR INSERT TO berth_gateway WITH CHECK (true);
CREATE POLICY gateway_read ON imports FOR SELECT TO berth_gateway USING (true);
GRANT INSERT (id, tenant_id, endpoint_id, format, table_name, mode, options, spool_path, bytes_total, actor,
  request_id) ON imports TO berth_gateway;
GRANT SELECT (id, tenant_id, endpoint_id, format, table_name, mode, state, bytes_total, bytes_done, rows_done,
  rows_rejected, tables, errors, created_at, started_at, finished_at) ON imports TO berth_gateway;

-- Only import jobs, and only the id back (the outbox's INSERT ... RETURNING id).
CREATE POLICY gateway_enqueue ON jobs FOR INSERT TO berth_gateway WITH CHECK (kind = 'import');
CREATE POLICY gateway_enqueued ON jobs FOR SELECT TO berth_gateway USING (kind = 'import');
GRANT INSERT (tenant_id, kind, payload, run_at) ON jobs TO berth_gateway;
GRANT SELECT (id, kind) ON jobs TO berth_gateway;
