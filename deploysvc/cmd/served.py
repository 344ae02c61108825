"""The application deploysvc-api hands to uWSGI, built before workers fork.

``deploysvc-api`` builds the pipeline in the master process, stores it here
with ``serve()`` and starts uWSGI with ``--module
deploysvc.cmd.served:application``: uWSGI finds this module already
imported and forks its workers with the application in memory (pages
shared until written).

Small filters sit around the pipeline, here because they are about
this server and not about the API:

* a malformed request line (uWSGI passes it on without a path) is a 400;
* a request body sent without a ``Content-Length`` (``Transfer-Encoding:
  chunked``) is a 411, as Apache with mod_wsgi answers by default: uWSGI
  2.0's chunk decoder cannot be made strict (a chunk size that is not
  hexadecimal ends the body, the CRLF after a chunk is not checked, and
  the raw bytes are out of Python's reach), and a body decoded wrongly
  would be worse than none.  No client of Heat's API sends one.  A request
  with both headers is a 400 (RFC 9112 6.3: it may be smuggling).
* ``[api] access_log``: one line per request through oslo.log (uWSGI's own
  request log is off; under another WSGI server, that server's applies).
"""

import sys
import time

from oslo_config import cfg
from oslo_log import log as logging

from deploysvc.api import faults

ACCESS_LOG = logging.getLogger('deploysvc.api.access')

application = None


def serve(pipeline, access_log=False):
    """Make ``pipeline`` (a WSGI application) what uWSGI's workers run."""
    global application
    app = _ServerRequest(pipeline)
    application = _AccessLog(app) if access_log else app
    return application


def _drain(uwsgi, limit):
    """Read and drop a chunked body of at most ``limit`` bytes.

    Closing a socket with unread bytes makes the kernel send a reset, and
    the client may lose the answer already sent (curl then says
    "Connection reset by peer", not 411).  Each read waits at most ``[api]
    client_timeout``; the request as a whole is bounded by ``[api]
    timeout`` (uWSGI's harakiri).
    """
    read = 0
    try:
        while read <= limit:
            chunk = uwsgi.chunked_read()
            if not chunk:
                return
            read += len(chunk)
    except OSError:
        # Broken framing or a client that stopped sending: nothing more
        # can be read.
        return


class _ServerRequest(object):
    """What uWSGI's HTTP socket hands over, made what any server hands over.

    A request line uWSGI could not split (no method, path or protocol)
    still reaches the application, without ``PATH_INFO``: it is answered
    400 here, as the WSGI servers that refuse it themselves do.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if not (environ.get('REQUEST_METHOD') and 'PATH_INFO' in environ
                and environ.get('SERVER_PROTOCOL')):
            answer = faults.error_response(400, 'HTTPBadRequest',
                                           'Malformed request line.')
            start_response(answer.status, answer.headerlist)
            return [answer.body]
        if 'HTTP_TRANSFER_ENCODING' in environ:
            if environ.get('CONTENT_LENGTH'):
                answer = faults.error_response(
                    400, 'HTTPBadRequest', 'A request may not have both '
                    'Transfer-Encoding and Content-Length.')
            else:
                # uWSGI's module, present in its workers only (this filter
                # is only put in front of the pipeline uWSGI serves).
                _drain(sys.modules['uwsgi'], cfg.CONF.max_json_body_size)
                answer = faults.error_response(
                    411, 'HTTPLengthRequired', 'A request body must be '
                    'sent with a Content-Length header.')
            start_response(answer.status, answer.headerlist)
            return [answer.body]
        return self.app(environ, start_response)


class _AccessLog(object):
    """One INFO line per request on logger ``deploysvc.api.access``.

    The time is until the application returned its answer (a streamed
    list may take longer to send).
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.monotonic()
        # Read now: the URL map below moves SCRIPT_NAME and PATH_INFO.
        path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
        if path.startswith('/agent/'):
            # The last segment of an agent URL is its secret (a capability
            # URL): logs must not hand it out.
            path = path.rpartition('/')[0] + '/***'
        if environ.get('QUERY_STRING'):
            path += '?' + environ['QUERY_STRING']
        answer = {'status': '-', 'length': '-'}

        def recording_start_response(status, headers, exc_info=None):
            answer['status'] = status.split(' ', 1)[0]
            for name, value in headers:
                if name.lower() == 'content-length':
                    answer['length'] = value
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            ACCESS_LOG.info(
                '%s "%s %s %s" status: %s len: %s time: %.6f',
                environ.get('REMOTE_ADDR', '-'),
                environ.get('REQUEST_METHOD', '-'), path,
                environ.get('SERVER_PROTOCOL', '-'), answer['status'],
                answer['length'], time.monotonic() - started)
