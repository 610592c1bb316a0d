"""Disaster recovery (docs/dr.md): the backup format and the pieces ``orchestrator backup``,
``restore`` and ``data restore`` are made of, one job per module.

- ``manifest.py``: the backup's self-describing manifest and per-package records;
- ``location.py``: where a backup lives (a folder, or ``s3://`` through the artifact store);
- ``provenance.py``: the git commit, environment file and rendered tfvars recorded with it;
- ``mapping.py``: ``OLD=NEW`` prefix maps for artifacts and images;
- ``registry_restore.py``: what restoring a group would do, and doing it;
- ``point_in_time.py``: the plan and the changes of a point-in-time restore of a prefix.
"""
