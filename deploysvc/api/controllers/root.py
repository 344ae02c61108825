"""The root: Heat's version document, and the v1 API."""

import re

import pecan

from deploysvc.api.controllers import util
from deploysvc.api.controllers import v1

_V1 = v1.Controller()

# Heat's version negotiation answers 300 for "/versions" and for any
# "v<major>[.<minor>]" prefix other than v1/v1.0; anything else is routed
# (and so, here, not found).
_OTHER_VERSION = re.compile(r'^v\d+(?:\.\d+)?$')


def _versions():
    """300 Multiple Choices with the one version there is."""
    href = pecan.request.application_url + '/v1/'
    return util.respond({'versions': [{
        'id': 'v1.0',
        'status': 'CURRENT',
        'links': [{'rel': 'self', 'href': href}],
    }]}, status=300)


class RootController(object):

    @pecan.expose()
    def index(self):
        return _versions()

    @pecan.expose()
    def _lookup(self, version, *remainder):
        if version in ('v1', 'v1.0'):
            # Heat's routes match exact paths: "/v1" alone and any path
            # with a trailing slash are not found (404).
            if remainder and remainder[-1]:
                return _V1, remainder
            return
        if version == 'versions' or _OTHER_VERSION.match(version):
            return self, ('index',)
