"""Reject request bodies larger than ``[DEFAULT] max_json_body_size``.

oslo.middleware's sizelimit answers 413 with its own body; Heat (and so its
clients) answer 400 ``RequestLimitExceeded`` with the message below, so this
small filter keeps Heat's answer (see doc/source/contributor/behaviour.rst,
behaviour-body-limit).  Chunked bodies are read up to the limit.
"""

import io

from oslo_config import cfg

from deploysvc.api import faults


def _too_large(size, limit):
    message = ('Request limit exceeded: JSON body size (%s bytes) exceeds '
               'maximum allowed size (%d bytes).' % (size, limit))
    return faults.error_response(400, 'RequestLimitExceeded', message)


class BodyLimit(object):

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        limit = cfg.CONF.max_json_body_size
        length = environ.get('CONTENT_LENGTH')
        if length:
            try:
                size = int(length)
            except ValueError:
                response = faults.error_response(
                    400, 'HTTPBadRequest', 'Invalid Content-Length header.')
                return response(environ, start_response)
            if size > limit:
                return _too_large(size, limit)(environ, start_response)
        elif environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked':
            data = environ['wsgi.input'].read(limit + 1)
            if len(data) > limit:
                return _too_large('more than %d' % limit,
                                  limit)(environ, start_response)
            environ['wsgi.input'] = io.BytesIO(data)
            environ['CONTENT_LENGTH'] = str(len(data))
            del environ['HTTP_TRANSFER_ENCODING']
        return self.application(environ, start_response)

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls
