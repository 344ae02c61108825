"""Broken request framing, sent on a raw socket to the real server.

A body the server cannot read is the client's error: 400 in Heat's error
body on every URL that takes a body (the agents' signal URL included), or
nothing at all for a client that has hung up; never a 500 and never a
traceback in the log.  uWSGI decodes chunk sizes leniently (LENIENT): the
body it decoded is then answered like any other, in Heat's shape.
"""

import json
import socket

import ddt

from deploysvc.tests.functional import base

_CONFIG = json.dumps({'name': 'x', 'group': 'script',
                      'config': 'true'}).encode()
_CHUNK = b'%x\r\n%s\r\n' % (len(_CONFIG), _CONFIG)

# name -> (headers after the request line, body bytes, then hang up the
# sending side?)
FRAMINGS = {
    'stream ends inside a chunk': (
        b'Transfer-Encoding: chunked\r\n', b'100\r\n' + _CONFIG, True),
    'stream ends after a chunk': (
        b'Transfer-Encoding: chunked\r\n', _CHUNK, True),
    'Content-Length longer than the body': (
        b'Content-Length: 100\r\n', b'{"a": 1}', True),
}

# Framings uWSGI's chunk decoder reads leniently: name -> (as FRAMINGS,
# status on each of paths()).  A size that is not hexadecimal ends the
# body (empty: 400 for JSON, 404 for the unknown deployment of the signal
# URL); the CRLF after a chunk is not checked (the config is created).
LENIENT = {
    'chunk size not hexadecimal': (
        b'Transfer-Encoding: chunked\r\n', b'zz\r\n' + _CONFIG + b'\r\n0\r\n'
        b'\r\n', True, (400, 400, 404)),
    'chunk without its terminator': (
        b'Transfer-Encoding: chunked\r\n',
        b'%x\r\n%sXX0\r\n\r\n' % (len(_CONFIG), _CONFIG), True,
        (200, 400, 404)),
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
    def test_broken_framing_is_400(self, name):
        headers, body, hang_up = FRAMINGS[name]
        for path in self.paths():
            answer = self.send(path, headers, body, hang_up)
            status_line, _, rest = answer.partition(b'\r\n')
            self.assertTrue(status_line.startswith(b'HTTP/1.1 400 '),
                            (name, path, answer[:500]))
            self.assertIn(b'application/json', rest, (name, path))
            error = json.loads(rest.partition(b'\r\n\r\n')[2])['error']
            self.assertEqual('HTTPBadRequest', error['type'], (name, path))
        self.assertNotIn('Traceback', self.server.log())

    @ddt.data(*sorted(LENIENT))
    def test_leniently_decoded_framing_is_answered(self, name):
        headers, body, hang_up, statuses = LENIENT[name]
        for path, status in zip(self.paths(), statuses):
            answer = self.send(path, headers, body, hang_up)
            status_line, _, rest = answer.partition(b'\r\n')
            self.assertTrue(
                status_line.startswith(b'HTTP/1.1 %d ' % status),
                (name, path, answer[:500]))
            self.assertIn(b'application/json', rest, (name, path))
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

    def test_a_complete_chunked_body_is_served(self):
        # The same framing, correct: the config is created.
        answer = self.send(self.paths()[0], b'Transfer-Encoding: chunked\r\n',
                           _CHUNK + b'0\r\n\r\n', False)
        self.assertTrue(answer.startswith(b'HTTP/1.1 200 '), answer[:500])
