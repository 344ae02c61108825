"""Configuration options.

Every option of the service is declared in one module per group of this
package and registered here on the global ``CONF`` object, the way nova,
ironic and heat do it.  Options are read at call time, never at import.
"""

from oslo_config import cfg
from oslo_log import log

from deploysvc.conf import api
from deploysvc.conf import crypto
from deploysvc.conf import database
from deploysvc.conf import default
from deploysvc.conf import deployment
from deploysvc.conf import metrics
from deploysvc.conf import notifications
from deploysvc.conf import profiler

CONF = cfg.CONF

log.register_options(CONF)
api.register_opts(CONF)
crypto.register_opts(CONF)
database.register_opts(CONF)
default.register_opts(CONF)
deployment.register_opts(CONF)
metrics.register_opts(CONF)
notifications.register_opts(CONF)
profiler.register_opts(CONF)
