"""Deploying SQL as a Query Activity to one BU or many (issue 15, seed items 9 and 20).

- :mod:`.service`: the API side: check, record, queue; retry, rollback, reads, orphans;
- :mod:`.request`: what a deployment asks for, and its shape rules;
- :mod:`.checks`: each target BU's pre-flight (services/preflight's static check);
- :mod:`.store`: deployments and their per-BU targets in Postgres;
- :mod:`.runner`: the job's work across BUs; :mod:`.bu`: one BU's steps;
- :mod:`.folders`, :mod:`.targets`, :mod:`.activity`, :mod:`.automation`: the MCE side of
  each step; :mod:`.drift`: comparing MCE's activity with what was last deployed;
- :mod:`.progress`: the replayable progress stream; :mod:`.config`: ``DEPLOY_*`` limits.
"""
