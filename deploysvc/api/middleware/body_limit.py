"""Reject request bodies larger than ``[DEFAULT] max_json_body_size``.

oslo.middleware's sizelimit answers 413 with its own body; Heat (and so its
clients) answer 400 ``RequestLimitExceeded`` with the message below, so this
small filter keeps Heat's answer (see doc/source/contributor/behaviour.rst,
behaviour-body-limit).  Chunked bodies are read up to the limit.
"""

import io

from oslo_config import cfg
from oslo_log import log as logging

from deploysvc.api import faults

LOG = logging.getLogger(__name__)


def _bad_request(message):
    return faults.error_response(400, 'HTTPBadRequest', message)


def _too_large(size, limit):
    message = ('Request limit exceeded: JSON body size (%s bytes) exceeds '
               'maximum allowed size (%d bytes).' % (size, limit))
    return faults.error_response(400, 'RequestLimitExceeded', message)


class BodyLimit(object):
    """The one reader of request bodies: size limit and broken framing.

    The body is read here, whole, before any application sees it, so a
    body the server cannot read (a chunk size that is not hexadecimal, a
    chunk without its CRLF, a stream or a ``Content-Length`` that ends
    early) is a 400 in one place rather than a 500 wherever it happens to
    be read.  A client
    that hung up gets nothing: writing the 400 fails quietly in the server.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        limit = cfg.CONF.max_json_body_size
        length = environ.get('CONTENT_LENGTH')
        chunked = (environ.get('HTTP_TRANSFER_ENCODING', '').lower()
                   == 'chunked')
        if length:
            try:
                size = int(length)
            except ValueError:
                size = -1
            if size < 0:
                return _bad_request('Invalid Content-Length header.')(
                    environ, start_response)
            if size > limit:
                return _too_large(size, limit)(environ, start_response)
        elif chunked:
            size = limit + 1
        else:
            return self.application(environ, start_response)
        try:
            data = environ['wsgi.input'].read(size)
        except Exception as e:
            # The WSGI server parses the framing as the body is read, and
            # raises its own exceptions (gunicorn: InvalidChunkSize and
            # ChunkMissingTerminator are plain Exceptions, NoMoreData an
            # IOError; other servers have others): any failure to read the
            # body is the client's, and a server-specific class is not
            # named here.
            LOG.info('Unreadable request body: %s: %s', type(e).__name__, e)
            return _bad_request('The request body could not be read: its '
                                'framing is broken.')(environ,
                                                      start_response)
        if chunked and len(data) > limit:
            return _too_large('more than %d' % limit,
                              limit)(environ, start_response)
        if not chunked and len(data) < size:
            return _bad_request('The request body is shorter than its '
                                'Content-Length.')(environ, start_response)
        environ['wsgi.input'] = io.BytesIO(data)
        environ['CONTENT_LENGTH'] = str(len(data))
        environ.pop('HTTP_TRANSFER_ENCODING', None)
        return self.application(environ, start_response)

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls
