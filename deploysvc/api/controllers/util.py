"""Small helpers shared by the v1 controllers."""

import hashlib
import urllib.parse

from oslo_config import cfg
from oslo_serialization import jsonutils
import pecan
import pecan.core
from webob import etag as etag_module

from deploysvc.api import faults
from deploysvc import exception
from deploysvc import views

# Rows per query of a list sent whole (no ``limit``).  A list longer than
# this is streamed a page at a time, each page its own short read, so no
# connection is held while the client reads and memory stays flat.  In
# process (SQLite, the benchmark's rows, tracemalloc): 4,100 deployments
# (2.6 MB of JSON) made into one body peaked at 15.1 MB and 8,200 at
# 27.6 MB; streamed, both peaked at 1.9 MB, for the same CPU (75 and
# 143 ms streamed, 68 and 147 ms in one body).
STREAM_PAGE = 250
# Largest piece of a streamed body handed to the server.  Pecan peeks at a
# generator body through itertools.tee (Pecan._handle_empty_response_body),
# and a tee keeps the items it has passed in blocks of 57: with a page a
# piece (~160 KB of JSON for 250 deployments) up to 57 pages stayed in
# memory, 3.7 MB traced at the peak for 4,100 deployments and 6.3 MB for
# 8,200.  Pieces of 8 KiB bound that to 57 x 8 KiB (~0.5 MB) whatever the
# length of the list: 1.9 MB at the peak for both.
STREAM_PIECE = 8192


def respond(body, status=200):
    """Return ``body`` as the JSON response (Heat's ASCII-escaped JSON)."""
    return respond_json(jsonutils.dump_as_bytes(body), status)


def respond_json(data, status=200):
    """Return ``data``, bytes of JSON already made, as the response."""
    # The response itself rather than three trips through its proxy.
    response = pecan.core.state.response
    response.status = status
    response.content_type = 'application/json'
    response.body = data
    return pecan.response


def etag_of(data):
    """The strong ETag (unquoted) of an answer: a hash of its bytes.

    A hash rather than a version column, so it names exactly the bytes
    served, whatever changed them; 16 bytes of BLAKE2b cost about 1 us
    for a deployment's ~500 bytes.
    """
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def respond_tagged(data, status=200, conditional=False):
    """``respond_json`` with the answer's ETag.

    ``conditional`` (a GET): 304 with no body when ``If-None-Match`` names
    the ETag (weak comparison, RFC 9110).
    """
    tag = etag_of(data)
    response = pecan.core.state.response
    response.headers['ETag'] = '"%s"' % tag
    if conditional:
        header = pecan.core.state.request.headers.get('If-None-Match')
        if header is not None and tag in etag_module.ETagMatcher.parse(
                header, strong=False):
            response.status = 304
            return pecan.response
    return respond_json(data, status)


def if_match(refuse):
    """A check of the ``If-Match`` header, or None when there is none.

    The check takes the current answer's bytes and calls ``refuse()``
    unless the header names its ETag (strong comparison; ``*`` matches
    anything that exists).
    """
    header = pecan.core.state.request.headers.get('If-Match')
    if header is None:
        return None
    matcher = etag_module.ETagMatcher.parse(header)

    def check(data):
        if etag_of(data) not in matcher:
            refuse()
    return check


def no_content():
    pecan.response.status = 204
    return pecan.response


def method_not_allowed(*allowed):
    """405 with ``Allow``; OPTIONS gets 204 with the same header (Heat)."""
    return faults.method_not_allowed(pecan.request.method, allowed)


def handles(method, policy):
    """Make a method of a ``Controller`` the handler of HTTP ``method``.

    It is called as ``handler(self, context)`` once ``context.can(policy)``
    has passed.
    """
    def decorate(function):
        function.handles = (method, policy)
        return function
    return decorate


class Controller(object):
    """The controller of a URL: its ids and its handlers (``@handles``).

    The router (``v1.route``) calls ``Controller(*ids).index``.  A subclass
    names the ids of its URL in ``ids`` (each becomes an attribute) and
    marks a handler per HTTP method with ``@handles(method, policy)``.
    ``index`` checks the handler's policy before the handler runs, so no
    handler can do anything before its check.  Any other method, HEAD and
    OPTIONS included, is answered by ``method_not_allowed`` with ``Allow``
    listing the handled methods in the order the class defines them.

    The handlers are found through a table of each class, built when the
    class is defined, rather than Pecan's ``expose(generic=True)`` and
    ``index.when``: those store the handlers on the ``index`` function, so
    subclasses of a base defining ``index`` once would share one table.
    """

    ids = ()
    # HTTP method -> (handler, policy); filled by __init_subclass__.
    _handlers = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        handlers = dict(cls._handlers)
        for value in vars(cls).values():
            if hasattr(value, 'handles'):
                method, policy = value.handles
                handlers[method] = (value, policy)
        cls._handlers = handlers

    def __init__(self, *ids):
        for name, value in zip(self.ids, ids, strict=True):
            setattr(self, name, value)

    @pecan.expose()
    def index(self):
        found = self._handlers.get(pecan.request.method)
        if found is None:
            return method_not_allowed(*self._handlers)
        handler, policy = found
        context = pecan.request.context
        context.can(policy)
        return handler(self, context)


_MAX_INT = 2 ** 63 - 1


def int_param(params, name):
    """A non-negative integer query parameter with Heat's messages."""
    value = params.get(name)
    if value in (None, ''):
        return None
    try:
        number = int(value)
    except ValueError:
        raise exception.BadRequest(
            message="Only integer is acceptable by '%s'." % name)
    if number < 0:
        raise exception.BadRequest(
            message="Value '%s' is invalid for '%s' which only accepts "
                    "non-negative integer." % (value, name))
    # Above 2**63 - 1 no database can compare it with an integer column
    # (SQLite's driver raised OverflowError: a 500).
    if number > _MAX_INT:
        raise exception.BadRequest(
            message="Value '%s' is too large for '%s' (at most %d)."
                    % (value, name, _MAX_INT))
    return number


def bool_param(params, name):
    value = params.get(name)
    if value in (None, ''):
        return False
    lowered = value.lower()
    if lowered not in ('true', 'false'):
        raise exception.BadRequest(
            message='Unrecognized value "%s" for "%s", acceptable values '
                    'are: true, false.' % (value, name))
    return lowered == 'true'


def list_limit(params):
    """``limit`` capped at ``[api] max_limit``; None when absent (all)."""
    limit = int_param(params, 'limit')
    return limit if limit is None else min(limit, cfg.CONF.api.max_limit)


def next_href(limit, marker):
    """The request's URL, its query with ``marker`` and ``limit`` replaced.

    Every other parameter (filters, sort, global_tenant) is kept, in the
    order sent, so following the link continues the same list.
    """
    request = pecan.core.state.request
    query = [(name, value) for name, value in request.GET.items()
             if name not in ('marker', 'limit')]
    query.append(('marker', marker))
    query.append(('limit', limit))
    return '%s?%s' % (request.path_url, urllib.parse.urlencode(query))


def respond_list(key, render, fetch, limit):
    """A list: a page cut by ``limit``, or every row when it is None.

    ``fetch(limit, after)`` returns up to ``limit`` rows of the list from
    the start (the request's own marker applies) or, with ``after`` (a row
    it returned), from after that row.  ``render(row)`` is the row's view.

    A page is read with one row more than ``limit``: when that row exists
    the page was cut, and the answer says where it goes on, with a
    ``next`` link in the body (``<key>_links``) and in a ``Link`` header
    (RFC 8288), both followed by openstacksdk.  The last page has none.

    With no ``limit`` every row is sent: a list of one page (the usual
    case: a server's deployments) as one body, a longer one streamed, page
    after page (see STREAM_PAGE).
    """
    if limit is None:
        rows = fetch(STREAM_PAGE, None)
        if len(rows) < STREAM_PAGE:
            return respond({key: [render(row) for row in rows]})
        response = pecan.core.state.response
        response.status = 200
        response.content_type = 'application/json'
        response.app_iter = _pieces(views.list_chunks(
            key, _pages(fetch, rows), render))
        return pecan.response
    # (limit 0 still reads, so a bad marker is reported as with any limit.)
    rows = fetch(limit + 1 if limit else 0, None)
    href = None
    if len(rows) > limit:
        rows = rows[:limit]
        href = next_href(limit, rows[-1].id)
        pecan.core.state.response.headers['Link'] = '<%s>; rel="next"' % href
    return respond(views.list_body(key, [render(row) for row in rows], href))


def respond_history(history, render):
    """A history (events), newest first, paged by the request's query.

    ``history(limit, marker)`` returns up to ``limit`` entries older than
    the entry ``marker`` (an id; None: from the newest).  A page holds at
    most ``[api] max_limit`` entries and, when the history goes on, says
    where (``events_links``, ``Link``): a long history is never cut
    silently.
    """
    params = pecan.core.state.request.GET
    marker = int_param(params, 'marker')

    def fetch(limit, after):
        return history(limit, marker if after is None else after.id)

    return respond_list('events', render, fetch, page_limit(params))


def _pieces(chunks):
    """``chunks`` cut to at most STREAM_PIECE bytes each."""
    for chunk in chunks:
        if len(chunk) <= STREAM_PIECE:
            yield chunk
        else:
            for start in range(0, len(chunk), STREAM_PIECE):
                yield chunk[start:start + STREAM_PIECE]


def _pages(fetch, rows):
    """``rows``, then the following pages until a short one."""
    # Nothing of the request is used here: this runs after the controller
    # returned, while the server sends the body.
    yield rows
    while len(rows) == STREAM_PAGE:
        rows = fetch(STREAM_PAGE, rows[-1])
        yield rows


def page_limit(params):
    """``limit`` capped at ``[api] max_limit`` (the cap also when absent)."""
    limit = int_param(params, 'limit')
    max_limit = cfg.CONF.api.max_limit
    return max_limit if limit is None else min(limit, max_limit)
