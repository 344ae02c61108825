"""Transport conventions: the error bodies the tests expect.

See doc/source/contributor/behaviour.rst, behaviour-transport and
behaviour-error-body.  The tests are in test_transport_*.py.
"""

import re

BAD_REQUEST = ('The server could not comply with the request since it is '
               'either malformed or otherwise incorrect.')
NOT_FOUND = 'The resource could not be found.'
REQUEST_ID = re.compile(r'^req-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$')


def error_body(code, title, explanation, error_type, message):
    return {'code': code, 'title': title, 'explanation': explanation,
            'error': {'type': error_type, 'message': message,
                      'traceback': None}}


def not_found(message=NOT_FOUND, error_type='HTTPNotFound'):
    return error_body(404, 'Not Found', NOT_FOUND, error_type, message)
