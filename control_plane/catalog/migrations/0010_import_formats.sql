-- Imports of SQL scripts (plain pg_dump files included) and of Markdown or text corpora.

ALTER TABLE imports DROP CONSTRAINT imports_format_check;
ALTER TABLE imports ADD CONSTRAINT imports_format_check
  CHECK (format IN ('csv', 'tsv', 'json', 'ndjson', 'xlsx', 'parquet', 'sql', 'markdown'));
