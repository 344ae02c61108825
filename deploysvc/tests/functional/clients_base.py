"""The real clients against the real server: what they send and read.

The tests are in test_clients_heat.py and test_clients_osc.py.
"""

import datetime
import re

from oslo_utils import uuidutils


TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
SCRIPT = '#!/bin/sh\necho "Writing to /tmp/$bar"\necho $foo > /tmp/$bar\n'


def new_project():
    return uuidutils.generate_uuid(dashed=False)


# deploysvc's keys after Heat's in a deployment answer, with the service's
# default deadlines (behaviour-deadlines).
DEPLOYSVC_KEYS = {'status_reason_code', 'delivery_timeout', 'timeout',
                  'delivered_at', 'deadline_at'}


def with_additions(body):
    """``body`` (Heat's keys of a deployment) with deploysvc's keys.

    As the service sets them for a deployment created with the default
    deadlines and not delivered: the delivery deadline an hour after its
    creation while it is IN_PROGRESS.
    """
    body = dict(body)
    deadline = None
    if body['status'] == 'IN_PROGRESS':
        created = datetime.datetime.strptime(body['creation_time'],
                                             '%Y-%m-%dT%H:%M:%SZ')
        deadline = (created + datetime.timedelta(seconds=3600)).strftime(
            '%Y-%m-%dT%H:%M:%SZ')
    body.update(status_reason_code=None if body['status'] is None
                else 'API_UPDATE', delivery_timeout=3600, timeout=14400,
                delivered_at=None, deadline_at=deadline)
    return body
