"""``/healthcheck`` reports the database too.

oslo.middleware's healthcheck application runs its backends on every
probe; this one asks the database for ``SELECT 1`` on a parked reader, as
a request would, so a load balancer takes a node whose database is gone
out of rotation (503) and back when it answers again.  Enabled in
``api-paste.ini`` (``backends = disable_by_file,deploysvc_database``).
"""

from oslo_middleware.healthcheck import pluginbase

from deploysvc.db import engine
from deploysvc import exception


class DatabaseHealthcheck(pluginbase.HealthcheckBaseExtension):

    def __init__(self, oslo_conf, conf):
        super().__init__(oslo_conf, conf)
        engine.configure(oslo_conf)

    def healthcheck(self, server_port):
        try:
            engine.ping()
        except exception.DatabaseUnavailable as e:
            return pluginbase.HealthcheckResult(
                available=False, reason='DATABASE UNAVAILABLE',
                details=str(e.__cause__ or e))
        return pluginbase.HealthcheckResult(available=True,
                                            reason='OK')
