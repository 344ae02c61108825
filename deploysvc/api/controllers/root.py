"""The root: Heat's version document, and the v1 API."""

import pecan

from deploysvc.api.controllers import util
from deploysvc.api.controllers import v1

_V1 = v1.Controller()


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
            if remainder:
                return _V1, remainder
            return  # /v1 alone: 404
        # /versions, or another version: Heat's negotiation offers v1.
        return self, ('index',)
