"""An index for the poller's count of complete runs nobody read (services/runs/poller.py).

A run is COMPLETE as soon as MCE says so; its row count is learnt by its first read. The
poller counts the few complete runs whose results no client read within seconds (an
integration that only follows the events): this partial index keeps that per-round lookup,
across every tenant by the system role, to the uncounted runs alone.
"""

from __future__ import annotations

from tortoise import migrations
from tortoise.migrations import operations as ops

UNCOUNTED_INDEX = """
CREATE INDEX IF NOT EXISTS idx_runs_uncounted ON runs (detected_at)
    WHERE status = 'COMPLETE' AND row_count IS NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0014_deployments")]

    initial = False

    operations = [ops.RunSQL(UNCOUNTED_INDEX)]
