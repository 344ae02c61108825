"""Counts for the operators' metrics (deploysvc.common.metrics)."""

import sqlalchemy as sa

from deploysvc.db import engine
from deploysvc.db import models

_SD = models.SoftwareDeployment.__table__
# One scan of the deployments' status columns per scrape (every 15-60 s
# per Prometheus server), on the read replica when there is one.
_BY_STATUS = sa.select(
    _SD.c.status, _SD.c.status_reason_code, sa.func.count()).group_by(
        _SD.c.status, _SD.c.status_reason_code)


@engine.replica_reader
def deployments_by_status(w):
    """``(status, status_reason_code, count)`` of every deployment."""
    return [tuple(row) for row in w.execute(_BY_STATUS)]
