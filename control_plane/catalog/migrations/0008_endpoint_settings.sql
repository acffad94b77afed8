-- Endpoint settings for the generated tool catalog: write tools for write tokens
-- (off until the owner turns them on) and how many tables get generated tools.
-- The gateway reads both with the token it resolves.
ALTER TABLE endpoints
  ADD COLUMN allow_writes boolean NOT NULL DEFAULT false,
  ADD COLUMN tool_cap integer NOT NULL DEFAULT 20 CHECK (tool_cap BETWEEN 0 AND 200);

GRANT SELECT (allow_writes, tool_cap) ON endpoints TO berth_gateway;
