"""The root: Heat's version document, and the v1 API."""

import re

import pecan
import pecan.routing
import webob.exc

from deploysvc.api.controllers import util
from deploysvc.api.controllers import v1

_V1 = v1.Controller()
_V1_PREFIXES = ('v1', 'v1.0')

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


class WalkController(object):
    """The root of Pecan's object walk, for URLs the route table lacks."""

    @pecan.expose()
    def index(self):
        return _versions()

    @pecan.expose()
    def _lookup(self, version, *remainder):
        if version in _V1_PREFIXES:
            # Heat's routes match exact paths: "/v1" alone and any path
            # with a trailing slash are not found (404).
            if remainder and remainder[-1]:
                return _V1, remainder
            return
        if version == 'versions' or _OTHER_VERSION.match(version):
            return self, ('index',)


_WALK = WalkController()


class RootController(object):
    """Known URLs in one step (v1.ROUTES); the object walk for the rest.

    Pecan hands every path but "/" to ``_route``, whose result it uses
    as is.
    """

    @pecan.expose()
    def index(self):
        return _versions()

    @pecan.expose()
    def _route(self, args, request):
        version = args[0]
        if version in _V1_PREFIXES:
            found = v1.route(args[1:], request.context)
            if found is not None:
                return found
        elif version == 'versions' or _OTHER_VERSION.match(version):
            return self.index, ()
        if any(v1.private(segment) for segment in args):
            # Pecan's walk would take the attribute (_lookup, __class__...)
            # for a handler.
            raise webob.exc.HTTPNotFound()
        return pecan.routing.lookup_controller(_WALK, args, request)
