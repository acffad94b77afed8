"""Data in: files become tables in an endpoint's own database (formats, inference, loading, the row)."""

import os

# Arrow's allocator (mimalloc) commits whole arenas up front by default: some 40 MiB of resident memory that
# a CSV scan's few blocks never use, against the 200 MiB each process may hold during a 1 GB import.
# Read once, when pyarrow's library loads, which only the readers in this package do.
os.environ.setdefault("MIMALLOC_ARENA_EAGER_COMMIT", "0")
