"""A bounded mixed load through HAProxy, and the ledger to check it with.

Each thread of ``MixedLoad`` plays one client and the agents of its own
servers, in a project it shares with the other threads: its requests are
sequential, so what each acknowledged write must have left in the database
is exact, while the threads' writes meet on the project's quota rows on
every API node and Galera node at once.  ``OPERATIONS`` is the table of
what a thread does, by weight; a later write path is one more row (a
method of ``Client`` and its weight).

Every answer is sorted into ``acknowledged`` (2xx, and the expected 4xx
such as the quota's 400), ``unknown`` (503 with Retry-After, or a
connection error: the write may or may not have been made) and ``wrong``
(anything else, or an answer that contradicts an acknowledged write: a
500, a 503 without Retry-After, a metadata document or a 304 that misses
an acknowledged deployment, one ETag seen with two different bodies).
"""

import collections
import hashlib
import http.client
import json
import random
import threading
import time
import traceback
import urllib.parse

PROJECTS = 2
SERVERS = 2             # per thread
REQUEST_TIMEOUT = 60
UNKNOWN = (503, None)   # None: no answer (connection error)


class Stats(object):
    """Counts shared by the threads, and the ETag -> body map."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = collections.Counter()     # (operation, status)
        self.wrong = []
        self.bodies = {}                          # ETag -> sha256 of body

    def count(self, operation, status):
        with self.lock:
            self.requests[operation, status] += 1

    def fail(self, what):
        with self.lock:
            self.wrong.append(what)

    def saw(self, etag, body):
        digest = hashlib.sha256(body).hexdigest()
        with self.lock:
            known = self.bodies.setdefault(etag, digest)
        if known != digest:
            self.fail('ETag %s served for two different bodies' % etag)

    @property
    def total(self):
        return sum(self.requests.values())

    def by_status(self):
        counts = collections.Counter()
        for (_, status), n in self.requests.items():
            counts[status] += n
        return dict(counts)


class Agent(object):
    """One server's agent, as os-collect-config polls (with its ETag)."""

    def __init__(self, server_id):
        self.server_id = server_id
        self.url = None          # the metadata URL, once rotated
        self.etag = None
        self.document = None


class Client(object):
    """One thread's client and agents; its ledger of acknowledged writes."""

    def __init__(self, load, number):
        self.load = load
        self.stats = load.stats
        self.number = number
        self.project = load.projects[number % len(load.projects)]
        self.agents = [Agent('srv-%d-%d-%s' % (number, i, load.tag))
                       for i in range(SERVERS)]
        self.random = random.Random(number)
        self.sequence = 0
        self.acknowledged = collections.Counter()   # writes, by operation
        # Acknowledged: config ids; deployment id -> (server id, expected
        # status_reason or signal marker).  Unknown: names, ids, markers of
        # writes whose outcome the client cannot know.
        self.configs = {}
        self.maybe_configs = set()
        self.deployments = {}
        self.maybe_deployments = set()
        self.deleted = set()
        self.maybe_deleted = set()
        self.signals = {}           # marker -> deployment id
        self.maybe_signals = {}
        # Creates sent with an Idempotency-Key (their status_reason is the
        # key): each must exist exactly once, however often it was sent.
        # Kept apart from ``deployments`` so nothing changes their reason.
        self.keyed = set()
        self.maybe_keyed = set()

    # -- HTTP --------------------------------------------------------------

    def request(self, operation, method, url, body=None, headers=None,
                ok=(200,)):
        """(status, headers, body); unexpected answers are counted wrong."""
        parts = urllib.parse.urlsplit(url)
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers['Content-Type'] = 'application/json'
        connection = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, parts.path, body=data,
                               headers=headers)
            response = connection.getresponse()
            status, answer = response.status, response.read()
            answer_headers = response.msg     # case-insensitive
        except (OSError, http.client.HTTPException):
            status, answer, answer_headers = None, b'', {}
        finally:
            connection.close()
        self.stats.count(operation, status)
        if status == 503 and not answer_headers.get('Retry-After'):
            self.stats.fail('%s %s: 503 without Retry-After' % (
                method, parts.path))
        elif status not in ok and status not in UNKNOWN:
            self.stats.fail('%s %s: %s %s' % (method, parts.path, status,
                                              answer[:300]))
        return status, answer_headers, answer

    def api(self, operation, method, path, body=None, ok=(200,),
            headers=None):
        headers = dict(headers or {}, **{
            'X-Project-Id': self.project, 'X-User-Id': 'load',
            'X-Roles': 'member'})
        status, headers, answer = self.request(
            operation, method, '%s/v1/%s%s' % (self.load.url, self.project,
                                               path),
            body, headers, ok)
        return status, (json.loads(answer) if status == 200 else None)

    def marker(self):
        self.sequence += 1
        return 'm-%d-%d-%s' % (self.number, self.sequence, self.load.tag)

    # -- operations (the rows of OPERATIONS) -------------------------------

    def create_config(self):
        name = self.marker()
        status, body = self.api('create_config', 'POST', '/software_configs',
                                {'name': name, 'group': 'script',
                                 'config': 'true'})
        if status == 200:
            self.acknowledged['create_config'] += 1
            self.configs[body['software_config']['id']] = name
        elif status in UNKNOWN:
            self.maybe_configs.add(name)

    def create_deployment(self):
        if not self.configs:
            return self.create_config()
        agent = self.random.choice(self.agents)
        reason = self.marker()
        status, body = self.api(
            'create_deployment', 'POST', '/software_deployments',
            {'config_id': self.random.choice(list(self.configs)),
             'server_id': agent.server_id, 'action': 'CREATE',
             'status': 'IN_PROGRESS', 'status_reason': reason},
            ok=(200, 400))
        if status == 200:
            self.acknowledged['create_deployment'] += 1
            self.deployments[body['software_deployment']['id']] = (
                agent.server_id, reason)
        elif status in UNKNOWN:
            self.maybe_deployments.add(reason)

    def create_deployment_once(self):
        """A create with an Idempotency-Key, sent again while unanswered.

        A client that lost the answer (a node died, a 503) sends the same
        request with the same key: one deployment, whatever happened.
        """
        if not self.configs:
            return self.create_config()
        key = self.marker()
        body = {'config_id': self.random.choice(list(self.configs)),
                'server_id': self.random.choice(self.agents).server_id,
                'action': 'CREATE', 'status': 'IN_PROGRESS',
                'status_reason': key}
        for _ in range(3):
            status, _ = self.api('create_deployment_once', 'POST',
                                 '/software_deployments', body, ok=(200, 400),
                                 headers={'Idempotency-Key': key})
            if status not in UNKNOWN:
                break
        if status == 200:
            self.acknowledged['create_deployment_once'] += 1
            self.keyed.add(key)
        elif status in UNKNOWN:
            self.maybe_keyed.add(key)

    def _mine(self):
        return self.random.choice(sorted(self.deployments)) \
            if self.deployments else None

    def update_deployment(self):
        deployment_id = self._mine()
        if deployment_id is None:
            return self.create_deployment()
        server_id, _ = self.deployments[deployment_id]
        reason = self.marker()
        status, _ = self.api('update_deployment', 'PUT',
                             '/software_deployments/%s' % deployment_id,
                             {'status': 'IN_PROGRESS',
                              'status_reason': reason})
        if status == 200:
            self.acknowledged['update_deployment'] += 1
            self.deployments[deployment_id] = (server_id, reason)
        elif status in UNKNOWN:
            # Either is right now: the old reason or this one.
            self.deployments[deployment_id] = (server_id, None)

    def delete_deployment(self):
        deployment_id = self._mine()
        if deployment_id is None:
            return self.create_deployment()
        status, _ = self.api('delete_deployment', 'DELETE',
                             '/software_deployments/%s' % deployment_id,
                             ok=(204,))
        self.deployments.pop(deployment_id)
        if status == 204:
            self.acknowledged['delete_deployment'] += 1
            self.deleted.add(deployment_id)
        else:
            self.maybe_deleted.add(deployment_id)

    def rotate(self):
        agent = self.random.choice(self.agents)
        status, body = self.api('rotate_agent_url', 'POST',
                                '/server_agents/%s' % agent.server_id, {})
        if status != 200:
            # The old URL may or may not work now: poll the new one later.
            return
        self.acknowledged['rotate_agent_url'] += 1
        old, agent.url = agent.url, body['server_agent']['metadata_url']
        agent.etag = agent.document = None
        if old is not None:
            # Acknowledged: the old URL is dead on every node.
            self.request('poll_revoked_url', 'GET', old, ok=(404,))

    def poll(self, agent=None):
        agent = agent or self.random.choice(self.agents)
        if agent.url is None:
            return self.rotate()
        expected = set(deployment_id for deployment_id, (server_id, _) in
                       self.deployments.items()
                       if server_id == agent.server_id)
        headers = {'If-None-Match': agent.etag} if agent.etag else {}
        status, answer_headers, body = self.request(
            'agent_poll', 'GET', agent.url, headers=headers, ok=(200, 304))
        if status == 200:
            # No ETag: bytes read while the revision moved (not cached).
            etag = answer_headers.get('ETag')
            if etag:
                self.stats.saw(etag, body)
            agent.etag, agent.document = etag, json.loads(body)
        elif status != 304:
            return
        # An item's id names what is served (it moves with the served
        # revision); its signal URL names the deployment.
        served = {}
        for item in agent.document['deployments']:
            inputs = dict((i['name'], i['value']) for i in item['inputs'])
            url = inputs['deploy_signal_id']
            served[url.split('/agent/v1/signal/')[1].split('/')[0]] = url
        missing = expected - set(served)
        stale = (set(served) & self.deleted)
        if missing or stale:
            self.stats.fail('agent poll (%s): missing %s, deleted %s' % (
                status, sorted(missing), sorted(stale)))
        return served

    def signal(self):
        agent = self.random.choice(self.agents)
        served = self.poll(agent)
        if not served:
            return
        deployment_id = self.random.choice(sorted(served))
        if deployment_id not in self.deployments:
            return
        marker = self.marker()
        status, _, body = self.request(
            'agent_signal', 'PUT', served[deployment_id],
            {'deploy_stdout': marker, 'deploy_stderr': '',
             'deploy_status_code': 0})
        server_id = self.deployments[deployment_id][0]
        if status == 200 and json.loads(body)['applied']:
            self.acknowledged['agent_signal'] += 1
            self.signals[marker] = deployment_id
            self.deployments[deployment_id] = (server_id, marker)
        elif status in UNKNOWN:
            self.maybe_signals[marker] = deployment_id
            self.deployments[deployment_id] = (server_id, None)


# (operation, weight): what a thread does, as a share of its requests.
# Polls dominate, as in a cloud; later write paths (rollout waves,
# deadlines) are further rows.
OPERATIONS = (
    (Client.create_config, 2),
    (Client.create_deployment, 3),
    (Client.create_deployment_once, 1),
    (Client.update_deployment, 2),
    (Client.delete_deployment, 1),
    (Client.rotate, 1),
    (Client.poll, 8),
    (Client.signal, 2),
)


class MixedLoad(object):
    """``threads`` clients through ``url`` until ``stop()`` or a bound."""

    def __init__(self, url, threads, seconds, requests):
        self.url = url
        self.tag = '%06x' % random.getrandbits(24)
        self.seconds = seconds
        self.requests = requests
        self.stats = Stats()
        self.projects = ['%032x' % random.getrandbits(128)
                         for _ in range(PROJECTS)]
        self.clients = [Client(self, i) for i in range(threads)]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(c,),
                                          daemon=True)
                         for c in self.clients]
        self.started = self.ended = None

    def start(self):
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(REQUEST_TIMEOUT * 2)
        self.ended = self.ended or time.monotonic()

    @property
    def seconds_run(self):
        return (self.ended or time.monotonic()) - self.started

    def _run(self, client):
        operations = [op for op, weight in OPERATIONS for _ in range(weight)]
        deadline = self.started + self.seconds
        try:
            while (not self._stop.is_set() and time.monotonic() < deadline
                   and self.stats.total < self.requests):
                client.random.choice(operations)(client)
        except Exception:
            # An answer the client could not even read (a test bug or a
            # malformed answer): counted wrong, and this client stops.
            self.stats.fail(traceback.format_exc())
        finally:
            self.ended = time.monotonic()

    def wait_for(self, condition, what, timeout=60):
        """Until ``condition()`` while the load runs, or fail."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline or not any(
                    thread.is_alive() for thread in self._threads):
                raise AssertionError('no %s within %d s; wrong: %s' % (
                    what, timeout, self.stats.wrong[:5]))
            time.sleep(0.05)

    def wait_requests(self, count):
        """Until ``count`` more requests are answered (progress)."""
        target = self.stats.total + count
        self.wait_for(lambda: self.stats.total >= target,
                      '%d more requests' % count)
