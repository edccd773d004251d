"""Pre-flight checks: what MCE would refuse or fail on when a query activity writes a query's
output into a target data extension, found before anything is created (issue 15, seed 17).

- :mod:`.static`: :func:`~.static.check_query_target`, the static check against the metadata
  cache (no MCE call): the query's output columns compared with the target DE's fields, the
  update type's needs, and the activities and automations that already write to the target.
  Deployments call it to block on errors and to ask for warnings to be acknowledged.
- :mod:`.probe`: a probe through the runs engine that measures, on the real data, what the
  static check cannot know (duplicate primary keys, NULLs in required columns, the longest
  text per column); :mod:`.probe_report` turns its one-row result into findings.

Small modules, one job each: :mod:`.codes` (every finding code), :mod:`.report` (what a check
answers), :mod:`.scope` (which BU a check runs in), :mod:`.target` (the target DE from the
cache), :mod:`.usage` (activities and automations writing to it), :mod:`.outputs` (where each
output column is written in the SQL), :mod:`.conversions` (which types convert into which),
:mod:`.rules` (the comparison itself, pure), :mod:`.probe_sql` (the measuring SQL),
:mod:`.probe_store` (a probe's record).
"""
