"""Broken request framing, sent on a raw socket to the real server.

A body the server cannot read is the client's error: 400 in Heat's error
body on every URL that takes a body (the agents' signal URL included), or
nothing at all for a client that has hung up; never a 500 and never a
traceback in the log.  A body without a ``Content-Length`` is a 411 under
``deploysvc-api`` whatever its chunks (uWSGI's chunk decoder is lenient:
see deploysvc/cmd/served.py), so a broken chunk is never decoded into
something else.
"""

import json
import socket

import ddt

from deploysvc.tests.functional import base

_CONFIG = json.dumps({'name': 'x', 'group': 'script',
                      'config': 'true'}).encode()
_CHUNK = b'%x\r\n%s\r\n' % (len(_CONFIG), _CONFIG)
_CHUNKED = b'Transfer-Encoding: chunked\r\n'

# name -> (headers after the request line, body bytes, then hang up the
# sending side?, status, error type), on each of paths().
FRAMINGS = {
    'Content-Length longer than the body': (
        b'Content-Length: 100\r\n', b'{"a": 1}', True, 400,
        'HTTPBadRequest'),
    'Content-Length and Transfer-Encoding': (
        b'Content-Length: %d\r\n' % len(_CHUNK) + _CHUNKED,
        _CHUNK + b'0\r\n\r\n', False, 400, 'HTTPBadRequest'),
    'chunked, complete': (
        _CHUNKED, _CHUNK + b'0\r\n\r\n', False, 411, 'HTTPLengthRequired'),
    'chunked, stream ends inside a chunk': (
        _CHUNKED, b'100\r\n' + _CONFIG, True, 411, 'HTTPLengthRequired'),
    'chunked, stream ends after a chunk': (
        _CHUNKED, _CHUNK, True, 411, 'HTTPLengthRequired'),
    'chunked, chunk size not hexadecimal': (
        _CHUNKED, b'zz\r\n' + _CONFIG + b'\r\n0\r\n\r\n', True, 411,
        'HTTPLengthRequired'),
    'chunked, chunk without its terminator': (
        _CHUNKED, b'%x\r\n%sXX0\r\n\r\n' % (len(_CONFIG), _CONFIG), True,
        411, 'HTTPLengthRequired'),
    # More than uWSGI's first read of a request: the rest is read and
    # dropped before the answer (else the kernel resets the connection).
    'chunked, 256 KiB in 4 KiB chunks': (
        _CHUNKED, (b'1000\r\n' + b' ' * 4096 + b'\r\n') * 64 + b'0\r\n\r\n',
        False, 411, 'HTTPLengthRequired'),
    'another transfer coding': (
        b'Transfer-Encoding: gzip, chunked\r\n', _CHUNK + b'0\r\n\r\n',
        False, 411, 'HTTPLengthRequired'),
}


# Requests the server itself judges: name -> (bytes sent, the start of the
# answer; b'' when the connection is closed without one).
SERVER_LEVEL = {
    'request line without protocol': (b'GET /\r\n\r\n', b'HTTP/1.0 400 '),
    'request line of one word': (b'GARBAGE\r\n\r\n', b'HTTP/1.0 400 '),
    'header block over max_header_size': (
        b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %s\r\n\r\n'
        % (b'a' * 20000), b''),
}


@ddt.ddt
class TestFraming(base.FunctionalTestCase):

    def paths(self):
        return ['/v1/%s/software_configs' % base.PROJECT,
                '/v1/%s/software_deployments' % base.PROJECT,
                '/agent/v1/signal/%s/%s' % ('d' * 36, 'f' * 64)]

    def send(self, path, headers, body, hang_up):
        """The raw answer (b'' when the server closed without one)."""
        request = (b'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                   b'Content-Type: application/json\r\n'
                   b'X-Project-Id: %s\r\nX-User-Id: u\r\nX-Roles: member\r\n'
                   b'Connection: close\r\n%s\r\n' % (
                       path.encode(), base.PROJECT.encode(), headers))
        with socket.create_connection(('127.0.0.1', self.server.port),
                                      timeout=30) as sock:
            sock.sendall(request + body)
            if hang_up:
                sock.shutdown(socket.SHUT_WR)
            answer = b''
            while True:
                data = sock.recv(65536)
                if not data:
                    return answer
                answer += data

    @ddt.data(*sorted(FRAMINGS))
    def test_framing(self, name):
        headers, body, hang_up, status, error_type = FRAMINGS[name]
        for path in self.paths():
            answer = self.send(path, headers, body, hang_up)
            status_line, _, rest = answer.partition(b'\r\n')
            self.assertTrue(status_line.startswith(b'HTTP/1.1 %d ' % status),
                            (name, path, answer[:500]))
            self.assertIn(b'application/json', rest, (name, path))
            error = json.loads(rest.partition(b'\r\n\r\n')[2])['error']
            self.assertEqual(error_type, error['type'], (name, path))
        self.assertNotIn('Traceback', self.server.log())

    @ddt.data(*sorted(SERVER_LEVEL))
    def test_what_the_server_judges(self, name):
        data, expected = SERVER_LEVEL[name]
        with socket.create_connection(('127.0.0.1', self.server.port),
                                      timeout=30) as sock:
            sock.sendall(data)
            answer = b''
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except ConnectionResetError:
                # Closed with the rest of the request unread.
                pass
        self.assertTrue(answer.startswith(expected), (name, answer[:500]))
        if expected:
            error = json.loads(answer.partition(b'\r\n\r\n')[2])['error']
            self.assertEqual('HTTPBadRequest', error['type'], name)
        self.assertNotIn('Traceback', self.server.log())

    def test_a_refused_chunked_body_creates_nothing(self):
        self.send(self.paths()[0], _CHUNKED, _CHUNK + b'0\r\n\r\n', False)
        self.assertEqual([], list(self.heat().software_configs.list()))
