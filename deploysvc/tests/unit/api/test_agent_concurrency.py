"""Agent loop API tests (issue 5): concurrent signals and rotations.

See doc/source/contributor/behaviour.rst, behaviour-concurrency.
"""

import json

import webtest

from deploysvc.tests.unit.api import agent_base
from deploysvc.tests import utils


class TestConcurrency(agent_base.AgentTestCase):
    """Threads on one database: no signal and no event is lost."""

    threads = 6
    database_threads = True

    def setUp(self):
        super().setUp()
        # Not the in-memory SQLite that threads cannot share.
        self.assertNotEqual('sqlite://', str(self.db.engine.url))

    def run_threads(self, func):
        return utils.run_concurrently(self.threads, func)

    def put(self, url, details):
        """A signal from a thread (webtest apps are not shared)."""
        client = webtest.TestApp(self.app.app)
        response = client.put(agent_base.path_of(url),
                              json.dumps(details).encode(),
                              content_type='application/json',
                              expect_errors=True)
        return response.status_int, response.json

    def test_one_deployment(self):
        deployment, _, url = self.setup_signal()
        results = self.run_threads(
            lambda i: self.put(url, {'result': i, 'deploy_status_code': 0}))
        self.assertEqual(['ok'] * self.threads, [r[0] for r in results],
                         results)
        statuses = [r[1][0] for r in results]
        self.assertEqual([200] * self.threads, statuses, results)
        applied = [i for i, r in enumerate(results) if r[1][1]['applied']]
        self.assertEqual(1, len(applied), results)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual(applied[0], shown['output_values']['result'])
        events = self.events(deployment['id'])
        self.assertEqual(self.threads + 1, len(events))
        signals = [e for e in events if e['source'] == 'signal']
        self.assertEqual(list(range(self.threads)),
                         sorted(e['details']['result'] for e in signals))
        self.assertEqual(1, len([e for e in signals if e['applied']]))
        # Only the first one found it IN_PROGRESS: it is the oldest.
        self.assertTrue(signals[-1]['applied'])

    def test_many_deployments_of_one_server(self):
        deployments = [self.create_deployment()
                       for _ in range(self.threads)]
        url = self.rotate()
        etag = self.poll(url).headers['ETag']
        signal_urls = [self.signal_url(url, d['id']) for d in deployments]
        results = self.run_threads(
            lambda i: self.put(signal_urls[i], {'result': i}))
        self.assertEqual([('ok', (200, {'status': 'COMPLETE',
                                        'applied': True,
                                        'event': 'deployment %s succeeded'
                                        % d['id']}))
                          for d in deployments], results)
        for i, deployment in enumerate(deployments):
            shown = self.show_deployment(deployment['id'])
            self.assertEqual(('COMPLETE', i), (
                shown['status'], shown['output_values']['result']))
            self.assertEqual(2, len(self.events(deployment['id'])))
        self.assertEqual(etag, self.poll(url).headers['ETag'])

    def test_concurrent_first_rotations(self):
        deployment = self.create_deployment()

        def rotate(i):
            client = webtest.TestApp(self.app.app)
            response = client.post(
                self.url('/server_agents/' + agent_base.SERVER),
                headers=self.headers(), expect_errors=True)
            return response.status_int, response.json

        results = self.run_threads(rotate)
        self.assertEqual(['ok'] * self.threads, [r[0] for r in results],
                         results)
        self.assertEqual([200] * self.threads, [r[1][0] for r in results],
                         results)
        urls = [r[1][1]['server_agent']['metadata_url'] for r in results]
        self.assertEqual(self.threads, len(set(urls)))
        current = self.get('/server_agents/' + agent_base.SERVER,
                           status=200).json[
            'server_agent']['metadata_url']
        self.assertIn(current, urls)
        for url in urls:
            self.poll(url, status=200 if url == current else 404)
        self.item(current, deployment['id'])
