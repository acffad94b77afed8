-- Wake idle workers when a job is enqueued, so they need not poll tightly.
-- One notification per statement: a batch insert wakes them once.
CREATE FUNCTION berth_jobs_wakeup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('berth_jobs', '');
  RETURN NULL;
END $$;

CREATE TRIGGER jobs_wakeup AFTER INSERT ON jobs
  FOR EACH STATEMENT EXECUTE FUNCTION berth_jobs_wakeup();
