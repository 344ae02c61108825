"""The application deploysvc-api hands to uWSGI, built before workers fork.

``deploysvc-api`` builds the pipeline in the master process, stores it here
with ``serve()`` and starts uWSGI with ``--module
deploysvc.cmd.served:application``: uWSGI finds this module already
imported and forks its workers with the application in memory (pages
shared until written).

Two small filters sit around the pipeline, here because they are about
this server and not about the API:

* a malformed request line (uWSGI passes it on without a path) is a 400;
* uWSGI's HTTP socket leaves a chunked request body on the socket (its
  ``wsgi.input`` reads nothing without a ``Content-Length``, and 2.0 has
  no option for it): the body is read through uWSGI's public
  ``chunked_read`` instead, so the pipeline's one body reader
  (``api/middleware/body_limit.py``) sees the body any WSGI server gives.
* ``[api] access_log``: one line per request through oslo.log (uWSGI's own
  request log is off; under another WSGI server, that server's applies).
"""

import io
import sys
import time

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


class _ChunkedBody(io.RawIOBase):
    """``wsgi.input`` of a chunked request, read with uwsgi.chunked_read.

    A stream that ends inside a chunk, or a client that stops sending for
    ``[api] client_timeout``, raises uWSGI's ``OSError``: the body reader
    answers 400.
    """

    def __init__(self, uwsgi):
        super().__init__()
        self._uwsgi = uwsgi
        self._pending = b''
        self._done = False

    def readable(self):
        return True

    def read(self, size=-1):
        whole = size is None or size < 0
        while not self._done and (whole or len(self._pending) < size):
            chunk = self._uwsgi.chunked_read()
            if not chunk:
                self._done = True
            self._pending += chunk
        if whole:
            size = len(self._pending)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


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
        if (environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked'
                and not environ.get('CONTENT_LENGTH')):
            # uWSGI's module, present in its workers only (this filter is
            # only put in front of the pipeline uWSGI serves).
            environ['wsgi.input'] = _ChunkedBody(sys.modules['uwsgi'])
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
