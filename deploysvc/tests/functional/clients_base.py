"""The real clients against the real server: what they send and read.

The tests are in test_clients_heat.py and test_clients_osc.py.
"""

import re

from oslo_utils import uuidutils


TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
SCRIPT = '#!/bin/sh\necho "Writing to /tmp/$bar"\necho $foo > /tmp/$bar\n'


def new_project():
    return uuidutils.generate_uuid(dashed=False)
