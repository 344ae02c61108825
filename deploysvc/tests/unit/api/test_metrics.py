"""Prometheus metrics (issue 19): what moves them, and where they are served.

In one process (the tests' registry); the functional test
test_metrics.py checks the sums across the workers of deploysvc-api.
"""

import os
import subprocess
import sys
import tempfile
import threading

import ddt
from oslo_db import exception as db_exc
import sqlalchemy as sa
import webob

from deploysvc.api.middleware import metrics as metrics_middleware
from deploysvc.cmd import api
from deploysvc.common import metrics
from deploysvc.common import notify
from deploysvc.db import engine as db_engine
from deploysvc import exception
from deploysvc.tests.unit.api import agent_base
from deploysvc.tests.unit.api import deadlines_base
from deploysvc.tests.unit.api import test_database_outage

DEPLOYMENT = '/v1/{tenant_id}/software_deployments/{deployment_id}'
METADATA = '/agent/v1/metadata/{credential_id}/{mac}'


def value(name, **labels):
    return metrics.sample(name, labels) or 0.0


class Delta(object):
    """How much samples moved since this was made."""

    def __init__(self, *samples):
        self.samples = samples
        self.before = [value(name, **labels) for name, labels in samples]

    def moved(self):
        # Rounded: a histogram's sum is a float that earlier tests of the
        # process added to (7.0 moved can read 6.999999999999998).
        return [round(value(name, **labels) - before, 6)
                for (name, labels), before in zip(self.samples, self.before)]


def sample(name, **labels):
    return (name, labels)


@ddt.ddt
class TestRouteTemplates(agent_base.AgentTestCase):
    """A path's label: the template of its route, else ``other``."""

    @ddt.unpack
    @ddt.data(
        ('/', '/'),
        ('/versions', '/versions'),
        ('/healthcheck', '/healthcheck'),
        ('/v1/p/software_configs', '/v1/{tenant_id}/software_configs'),
        ('/v1.0/p/software_configs/c',
         '/v1/{tenant_id}/software_configs/{config_id}'),
        ('/v1/p/software_deployments/d', DEPLOYMENT),
        ('/v1/p/software_deployments/d/events', DEPLOYMENT + '/events'),
        ('/v1/p/software_deployments/d/signal', DEPLOYMENT + '/signal'),
        ('/v1/p/software_deployments/d/cancel', DEPLOYMENT + '/cancel'),
        ('/v1/p/software_deployments/metadata',
         '/v1/{tenant_id}/software_deployments/metadata'),
        ('/v1/p/software_deployments/metadata/s',
         '/v1/{tenant_id}/software_deployments/metadata/{server_id}'),
        ('/v1/p/server_agents/s', '/v1/{tenant_id}/server_agents/{server_id}'),
        ('/v1/p/validate', '/v1/{tenant_id}/validate'),
        ('/v1/p/software_deployment_groups/g/deployments',
         '/v1/{tenant_id}/software_deployment_groups/{group_id}/deployments'),
        ('/agent/v1/metadata/c/m', METADATA),
        ('/agent/v1/signal/d/m',
         '/agent/v1/signal/{deployment_id}/{mac}'),
        # Hostile or unknown: one label, whatever the path.
        ('', 'other'),
        ('/metrics', 'other'),
        ('/etc/passwd', 'other'),
        ('/v1', 'other'),
        ('/v1/p', 'other'),
        ('/v1/p/', 'other'),
        ('/v1/p/software_deployments/', 'other'),
        ('/v1/p//software_configs', 'other'),
        ('/v1/p/_lookup', 'other'),
        ('/v1/p/software_configs/c/d/e', 'other'),
        ('/v2/p/software_configs', 'other'),
        ('/agent/v1/metadata/c', 'other'),
        ('/agent/v1/metadata/c/', 'other'),
        ('/agent/v1/other/c/m', 'other'),
        ('/agent/v2/metadata/c/m', 'other'),
        ('/\x00/../%2e%2e', 'other'),
        ('/' + 'a' * 10000, 'other'),
    )
    def test_route_of(self, path, route):
        self.assertEqual(route, metrics_middleware.route_of(path))

    @ddt.unpack
    @ddt.data(
        ('GET', '/software_configs', 200,
         '/v1/{tenant_id}/software_configs', 'GET'),
        ('GET', '/software_deployments/nope', 404, DEPLOYMENT, 'GET'),
        ('DELETE', '/software_deployments', 405,
         '/v1/{tenant_id}/software_deployments', 'DELETE'),
        ('BREW', '/software_configs', 405,
         '/v1/{tenant_id}/software_configs', 'other'),
        ('GET', '/no/such/thing', 404, 'other', 'GET'),
    )
    def test_requests_counted_by_route_method_and_status(
            self, method, path, status, route, label):
        moved = Delta(
            sample('deploysvc_http_requests_total', route=route,
                   method=label, status=str(status)),
            sample('deploysvc_http_request_duration_seconds_count',
                   route=route, method=label, status=str(status)))
        self.request(method, self.url(path), status=status)
        self.assertEqual([1, 1], moved.moved())


class TestEvents(deadlines_base.DeadlineTestCase):
    """Each event moves its metric once (the clock is frozen)."""

    def test_agent_polls_200_and_304(self):
        moved = Delta(sample('deploysvc_agent_polls_total', answer='200'),
                      sample('deploysvc_agent_polls_total', answer='304'))
        self.create_deployment()
        url = self.rotate()
        etag = self.poll(url).headers['ETag']
        self.poll(url, method='HEAD')
        self.poll(url, status=304, **{'If-None-Match': etag})
        self.poll(url, status=304, **{'If-None-Match': etag})
        self.poll('/agent/v1/metadata/nope/nope', status=404)
        self.assertEqual([2, 2], moved.moved())

    def test_agent_documents_cache(self):
        moved = Delta(
            sample('deploysvc_cache_misses_total', cache='agent_documents'),
            sample('deploysvc_cache_hits_total', cache='agent_documents'))
        self.create_deployment()
        url = self.rotate()
        self.document(url)
        self.document(url)
        self.document(url)
        self.assertEqual([1, 2], moved.moved())

    def test_config_json_cache(self):
        moved = Delta(
            sample('deploysvc_cache_misses_total', cache='config_json'),
            sample('deploysvc_cache_hits_total', cache='config_json'))
        self.create_deployment()
        path = '/software_deployments/metadata/' + agent_base.SERVER
        self.get(path, status=200)
        self.get(path, status=200)
        self.assertEqual([1, 1], moved.moved())

    def test_delivery_and_run_times(self):
        moved = Delta(
            sample('deploysvc_deployment_delivery_seconds_count'),
            sample('deploysvc_deployment_delivery_seconds_sum'),
            sample('deploysvc_deployment_run_seconds_count',
                   status='COMPLETE'),
            sample('deploysvc_deployment_run_seconds_sum',
                   status='COMPLETE'),
            sample('deploysvc_signals_total', result='applied'))
        deployment = self.create_deployment()
        url = self.rotate()
        self.later(7)
        signal_url = self.signal_url(url, deployment['id'])
        self.later(30)
        self.signal(signal_url, {'deploy_status_code': 0})
        self.assertEqual([1, 7, 1, 30, 1], moved.moved())

    def test_failed_run_time(self):
        moved = Delta(sample('deploysvc_deployment_run_seconds_count',
                             status='FAILED'))
        deployment, url, signal_url = self.setup_signal()
        self.signal(signal_url, {'deploy_status_code': 3})
        self.assertEqual([1], moved.moved())

    def test_signal_results(self):
        results = ('applied', 'ignored', 'late', 'stale')
        moved = Delta(*[sample('deploysvc_signals_total', result=result)
                        for result in results])
        # Applied, then ignored (already COMPLETE).
        deployment, url, signal_url = self.setup_signal()
        self.signal(signal_url, {'deploy_status_code': 0})
        self.signal(signal_url, {'deploy_status_code': 0})
        # Stale: the URL of the run before an update.
        self.update_deployment(deployment['id'], {
            'status': 'IN_PROGRESS', 'action': 'UPDATE'})
        self.signal(signal_url, {'deploy_status_code': 0}, status=409)
        # Late: after a cancel.
        deployment, url, signal_url = self.setup_signal()
        self.post('/software_deployments/%s/cancel' % deployment['id'],
                  None, status=200)
        self.signal(signal_url, {'deploy_status_code': 0})
        self.assertEqual([1, 1, 1, 1], moved.moved())

    def test_timeouts_and_cancels(self):
        moved = Delta(
            sample('deploysvc_deployment_timeouts_total',
                   reason_code='TIMED_OUT_DELIVERY'),
            sample('deploysvc_deployment_timeouts_total',
                   reason_code='TIMED_OUT_EXECUTION'),
            sample('deploysvc_deployment_cancels_total', delivered='false'),
            sample('deploysvc_deployment_cancels_total', delivered='true'))
        late = self.create_deployment(delivery_timeout=5,
                                      server_id=agent_base.OTHER_SERVER)
        running, url = self.fetched(timeout=10)
        self.later(5)
        self.show_deployment(late['id'])
        self.show_deployment(late['id'])
        self.later(5)
        self.show_deployment(running['id'])
        for delivered in (False, True):
            deployment = self.create_deployment()
            if delivered:
                self.document(self.rotate())
            self.post('/software_deployments/%s/cancel' % deployment['id'],
                      None, status=200)
        self.assertEqual([1, 1, 1, 1], moved.moved())


class TestDatabaseErrors(agent_base.AgentTestCase):

    def test_unavailable(self):
        moved = Delta(sample('deploysvc_database_errors_total',
                             kind='unavailable'))
        with test_database_outage._Down():
            response = self.app.get(self.url('/software_configs'),
                                    headers=self.headers(),
                                    expect_errors=True)
        self.assertEqual(503, response.status_int)
        self.assertEqual([1], moved.moved())

    def test_connection_lost(self):
        moved = Delta(sample('deploysvc_database_errors_total',
                             kind='connection_lost'))

        def lost(w):
            w.execute(sa.select(sa.literal_column('1')))
            raise db_exc.DBConnectionError('lost')
        self.assertRaises(exception.DatabaseUnavailable, db_engine.read,
                          lost)
        self.assertEqual([1], moved.moved())


class _Blocked(object):
    """A notifier whose first send waits until ``release`` is set."""

    def __init__(self):
        self.release = threading.Event()
        self.sending = threading.Event()

    def info(self, ctxt, event_type, body):
        self.sending.set()
        self.release.wait()


class TestNotificationsDropped(agent_base.AgentTestCase):

    def test_dropped_when_the_queue_is_full(self):
        moved = Delta(sample('deploysvc_notifications_dropped_total'))
        notifier = _Blocked()
        sender = notify.Sender(notifier, size=1)
        self.addCleanup(notifier.release.set)
        sender.put({}, 'a', {'id': 1})
        notifier.sending.wait()
        sender.put({}, 'b', {'id': 2})
        sender.put({}, 'c', {'id': 3})
        self.assertEqual([1], moved.moved())


@ddt.ddt
class TestExposition(agent_base.AgentTestCase):
    """The scrape application: GET /metrics and nothing else."""

    def scrape(self, method='GET', path='/metrics'):
        return webob.Request.blank(path, method=method).get_response(
            metrics_middleware.MetricsApp())

    def test_metrics(self):
        for status in ('COMPLETE', 'COMPLETE', 'FAILED'):
            deployment = self.create_deployment()
            self.put('/software_deployments/' + deployment['id'],
                     {'status': status}, status=200)
        self.create_deployment()
        self.get('/software_configs', status=200)
        response = self.scrape()
        self.assertEqual(200, response.status_int)
        self.assertEqual('text/plain', response.content_type)
        lines = response.text.splitlines()
        for line in (
                'deploysvc_deployments{reason_code="API_UPDATE",'
                'status="COMPLETE"} 2.0',
                'deploysvc_deployments{reason_code="API_UPDATE",'
                'status="FAILED"} 1.0',
                'deploysvc_deployments{reason_code="API_UPDATE",'
                'status="IN_PROGRESS"} 1.0',
                '# TYPE deploysvc_http_requests_total counter'):
            self.assertIn(line, lines)
        self.assertEqual(b'', self.scrape('HEAD').body)

    def test_without_the_database(self):
        # The gauge is left out; every other metric is served.
        with test_database_outage._Down():
            response = self.scrape()
        self.assertEqual(200, response.status_int)
        self.assertNotIn('deploysvc_deployments{', response.text)
        self.assertIn('deploysvc_database_errors_total{kind="unavailable"}',
                      response.text)

    @ddt.unpack
    @ddt.data(('GET', '/', 404), ('GET', '/metrics/', 404),
              ('GET', '/v1/p/software_configs', 404),
              ('POST', '/metrics', 405), ('DELETE', '/metrics', 405))
    def test_anything_else(self, method, path, status):
        response = self.scrape(method, path)
        self.assertEqual(status, response.status_int)
        self.assertIn('error', response.json)

    @ddt.unpack
    @ddt.data(('9100', 'metrics'), ('8019', 'api'), (None, 'api'),
              ('09100', 'api'))
    def test_port_dispatch(self, port, served):
        def app(name):
            def application(environ, start_response):
                start_response('200 OK', [])
                return [name.encode()]
            return application

        environ = webob.Request.blank('/metrics').environ
        environ.pop('SERVER_PORT')
        if port is not None:
            environ['SERVER_PORT'] = port
        dispatch = metrics_middleware.PortDispatch(app('api'),
                                                   app('metrics'), 9100)
        body = b''.join(dispatch(environ, lambda status, headers: None))
        self.assertEqual(served.encode(), body)

    def test_the_api_does_not_serve_metrics(self):
        self.request('GET', '/metrics', status=404)


class TestMultiprocess(agent_base.AgentTestCase):
    """The master names the directory before prometheus_client is loaded."""

    def run_python(self, code, env=None):
        return subprocess.run(
            [sys.executable, '-c', code], capture_output=True, text=True,
            env=dict(os.environ, **(env or {})), check=True).stdout

    def test_service_modules_do_not_load_prometheus_client(self):
        self.assertEqual('False\n', self.run_python(
            'import sys; import deploysvc.cmd.api; import deploysvc.views; '
            'print("prometheus_client" in sys.modules)'))

    def test_workers_write_to_the_shared_directory(self):
        path = tempfile.mkdtemp()
        self.addCleanup(subprocess.run, ['rm', '-rf', path])
        with open(os.path.join(path, 'counter_1.db'), 'wb') as f:
            f.write(b'an earlier run')
        with open(os.path.join(path, 'keep.txt'), 'w') as f:
            f.write('not ours')
        out = self.run_python(
            'import os\n'
            'from deploysvc.common import metrics\n'
            'metrics.prepare_multiprocess(%r)\n'
            'for _ in range(2):\n'
            '    if os.fork() == 0:\n'
            '        metrics.request(metrics.AGENT_METADATA_ROUTE, "GET",\n'
            '                        "304", 0.001)\n'
            '        metrics.flush()\n'
            '        os._exit(0)\n'
            '    os.wait()\n'
            'print(metrics.exposition()[0].decode())\n' % path)
        self.assertIn('deploysvc_agent_polls_total{answer="304"} 2.0',
                      out.splitlines())
        self.assertIn('keep.txt', os.listdir(path))
        self.assertNotIn('counter_1.db', os.listdir(path))

    def test_the_directory_of_deploysvc_api(self):
        # Unset: a new private one each time (a reload's master makes its
        # own; the one before was removed at its exit).
        made = api.metrics_dir()
        self.addCleanup(os.rmdir, made)
        self.assertTrue(os.path.isdir(made))
        self.assertEqual(0o700, os.stat(made).st_mode & 0o777)
        again = api.metrics_dir()
        self.addCleanup(os.rmdir, again)
        self.assertNotEqual(made, again)
        # Set: that one.
        self.config(multiproc_dir='/run/deploysvc/prometheus',
                    group='metrics')
        self.assertEqual('/run/deploysvc/prometheus', api.metrics_dir())

    def test_refused_once_prometheus_client_is_loaded(self):
        metrics.sample('deploysvc_agent_polls_total', {'answer': '304'})
        self.assertRaises(RuntimeError, metrics.prepare_multiprocess,
                          '/nonexistent/deploysvc-metrics')
