"""The root: Heat's version document, and the v1 API."""

import re

import pecan
import webob.exc

from deploysvc.api.controllers import util
from deploysvc.api.controllers import v1

_V1_PREFIXES = ('v1', 'v1.0')

# Heat's version negotiation answers 300 for "/versions" and for any
# "v<major>[.<minor>]" prefix other than v1/v1.0; anything else is routed
# (and so, here, not found).
_OTHER_VERSION = re.compile(r'^v\d+(?:\.\d+)?$')


def _versions():
    """300 Multiple Choices with the one version there is.

    This is also keystoneauth's version discovery of the catalog's
    ``http://host:port/v1/%(tenant_id)s`` (doc/source/install/keystone.rst):
    it takes the project id off, tries ``/v1/`` (404 here, as in Heat),
    then this root, and joins the project id to the ``self`` link.
    """
    href = pecan.request.application_url + '/v1/'
    return util.respond({'versions': [{
        'id': 'v1.0',
        'status': 'CURRENT',
        'links': [{'rel': 'self', 'href': href}],
    }]}, status=300)


class RootController(object):
    """"/" is ``index``; ``route`` finds the handler of every path.

    The application (``deploysvc.api.app.Application``) asks ``route``
    instead of walking the controllers' attributes: the walk would take a
    URL segment such as ``_lookup`` or ``__class__`` for a handler, where
    Heat's URLs treat every segment after a collection as an id; and it
    costs a ``_lookup`` call, a caught exception and a ``dir()`` of the
    controller per level.
    """

    @pecan.expose()
    def index(self):
        if pecan.request.method == 'OPTIONS':
            # As on every other URL: 204 and Allow, not a document.
            return util.method_not_allowed('GET', 'HEAD')
        return _versions()

    def route(self, request, path):
        """The handler of ``path`` (a request's path info)."""
        args = path.split('/')[1:] or ['']
        version = args[0]
        if not version and len(args) == 1:
            return self.index
        if version in _V1_PREFIXES:
            return v1.route(args[1:], request.context)
        if version == 'versions' or _OTHER_VERSION.match(version):
            return self.index
        raise webob.exc.HTTPNotFound()
