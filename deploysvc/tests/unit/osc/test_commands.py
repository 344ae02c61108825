"""The plugin's commands: arguments and output, on a mocked adapter.

Only what the command line makes of the API's answers is tested here; the
functional tests (test_clients_catalog.py) run the unmodified
``openstack`` against deploysvc and Keystone.
"""

import io
import json
from unittest import mock

import ddt
from keystoneauth1 import adapter
from osc_lib import exceptions
import requests
import testtools

from deploysvc.osc.v1 import agents
from deploysvc.osc.v1 import client
from deploysvc.osc.v1 import deployments
from deploysvc.osc.v1 import events

SERVER = 'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5'
DEPLOYMENT = 'a3478e1c-a12c-5a09-bf84-cf95eaad6401'
URL = 'https://deploy.example.com/agent/v1/metadata/e883/2ff8'
AGENT = {'server_agent': {'server_id': SERVER, 'metadata_url': URL,
                          'created_at': '2026-01-31T15:13:02Z',
                          'agent_last_seen': '2026-01-31T15:14:02Z'}}
SIGNAL = {'id': 2, 'deployment_id': DEPLOYMENT,
          'time': '2026-01-31T15:18:21Z', 'source': 'signal',
          'actor': 'agent', 'status_from': 'IN_PROGRESS',
          'status_to': 'COMPLETE', 'applied': True,
          'reason': 'Outputs received', 'reason_code': 'OUTPUTS_RECEIVED',
          'details': {'deploy_status_code': 0}}
CREATED = {'id': 1, 'deployment_id': DEPLOYMENT,
           'time': '2026-01-31T15:18:20Z', 'source': 'api',
           'actor': 'user-c9b7e4d1', 'status_from': None,
           'status_to': 'IN_PROGRESS', 'applied': True,
           'reason': 'Deploy data available', 'reason_code': 'API_UPDATE',
           'details': None}


def answer(status, body=None):
    response = requests.Response()
    response.status_code = status
    response.reason = {200: 'OK', 204: 'No Content', 404: 'Not Found',
                       502: 'Bad Gateway'}[status]
    response.raw = io.BytesIO(b'' if body is None else
                              body if isinstance(body, bytes) else
                              json.dumps(body).encode('utf-8'))
    return response


def not_found(message):
    return answer(404, {'code': 404, 'title': 'Not Found',
                        'explanation': 'not found',
                        'error': {'type': 'NotFound', 'message': message,
                                  'traceback': None}})


class CommandTestCase(testtools.TestCase):
    """A command run on a mocked adapter (also test_groups.py's base)."""

    def setUp(self):
        super().setUp()
        self.client = client.Client(session=mock.Mock())
        self.client.adapter = mock.Mock(spec=adapter.Adapter)
        self.app = mock.Mock(stdout=io.StringIO())
        self.app.client_manager.software_deployment = self.client

    def run_command(self, cls, args, *answers):
        """stdout of ``cls`` run with ``args`` (the API gives ``answers``)."""
        self.client.adapter.request.side_effect = list(answers)
        command = cls(self.app, None)
        parsed = command.get_parser('openstack').parse_args(args)
        command.run(parsed)
        return self.app.stdout.getvalue()

    def requested(self):
        return [(c.args, c.kwargs)
                for c in self.client.adapter.request.call_args_list]


@ddt.ddt
class TestCommands(CommandTestCase):

    @ddt.data((agents.CreateAgent, 'POST'), (agents.ShowAgent, 'GET'))
    @ddt.unpack
    def test_agent_json_is_everything(self, cls, method):
        out = self.run_command(cls, [SERVER, '-f', 'json'],
                               answer(200, AGENT))
        self.assertEqual(AGENT['server_agent'], json.loads(out))
        self.assertEqual(
            [(('/server_agents/' + SERVER, method), {'raise_exc': False})],
            self.requested())

    @ddt.data(([], ['server_id', SERVER, 'metadata_url', URL]),
              (['-f', 'value', '-c', 'metadata_url'], [URL]))
    @ddt.unpack
    def test_agent_table_and_value(self, args, words):
        out = self.run_command(agents.ShowAgent, [SERVER] + args,
                               answer(200, AGENT))
        for word in words:
            self.assertIn(word, out)
        if args:
            self.assertEqual(URL + '\n', out)

    def test_server_id_is_one_segment(self):
        self.run_command(agents.ShowAgent, ['a/b?c'], answer(200, AGENT))
        self.assertEqual('/server_agents/a%2Fb%3Fc',
                         self.requested()[0][0][0])

    def test_agent_delete(self):
        out = self.run_command(agents.DeleteAgent, [SERVER, 'srv-2'],
                               answer(204), answer(204))
        self.assertEqual('', out)
        self.assertEqual([('/server_agents/' + SERVER, 'DELETE'),
                          ('/server_agents/srv-2', 'DELETE')],
                         [args for args, kwargs in self.requested()])

    def test_agent_delete_reports_each_failure(self):
        e = self.assertRaises(
            exceptions.CommandError, self.run_command, agents.DeleteAgent,
            [SERVER, 'srv-2'], answer(204),
            not_found('No agent URL for server srv-2'))
        self.assertEqual('Unable to revoke 1 of the 2 agent URLs.', str(e))

    @ddt.data((not_found('No agent URL for server x'),
               'No agent URL for server x'),
              (answer(502, b'<html>proxy</html>'), '502 Bad Gateway'))
    @ddt.unpack
    def test_error_is_the_api_message(self, response, message):
        e = self.assertRaises(exceptions.CommandError, self.run_command,
                              agents.ShowAgent, ['x'], response)
        self.assertEqual(message, str(e))

    @ddt.data(([], {}), (['--limit', '2'], {'limit': 2}),
              (['--limit', '2', '--marker', '5'], {'limit': 2, 'marker': 5}))
    @ddt.unpack
    def test_event_list_paging(self, args, params):
        self.run_command(events.ListEvents, [DEPLOYMENT] + args,
                         answer(200, {'events': []}))
        self.assertEqual(
            [(('/software_deployments/%s/events' % DEPLOYMENT, 'GET'),
              {'raise_exc': False, 'params': params})], self.requested())

    @ddt.data(([], [{}, {'marker': 2}], [SIGNAL, CREATED]),
              (['--marker', '9'], [{'marker': 9}, {'marker': 2}],
               [SIGNAL, CREATED]),
              (['--limit', '1'], [{'limit': 1}], [SIGNAL]))
    @ddt.unpack
    def test_event_list_follows_the_pages_unless_limited(
            self, args, params, listed):
        # The server cut the history after SIGNAL (its [api] max_limit).
        more = [{'rel': 'next', 'href': 'https://deploy.example.com/v1/p/'
                 'software_deployments/%s/events?marker=2' % DEPLOYMENT}]
        out = self.run_command(
            events.ListEvents, [DEPLOYMENT, '-f', 'json'] + args,
            answer(200, {'events': [SIGNAL], 'events_links': more}),
            answer(200, {'events': [CREATED]}))
        self.assertEqual(listed, json.loads(out))
        self.assertEqual(params, [kwargs['params']
                                  for _, kwargs in self.requested()])

    @ddt.data(['--limit', '0'], ['--limit', 'x'], ['--marker', 'abc'], [])
    def test_event_list_bad_arguments(self, args):
        command = events.ListEvents(self.app, None)
        parser = command.get_parser('openstack')
        with mock.patch('sys.stderr', io.StringIO()):
            self.assertRaises(SystemExit, parser.parse_args, args)

    def test_event_list_json_is_the_api(self):
        out = self.run_command(events.ListEvents, [DEPLOYMENT, '-f', 'json'],
                               answer(200, {'events': [SIGNAL, CREATED]}))
        self.assertEqual([SIGNAL, CREATED], json.loads(out))

    def test_event_list_table(self):
        out = self.run_command(events.ListEvents, [DEPLOYMENT],
                               answer(200, {'events': [SIGNAL, CREATED]}))
        header = out.splitlines()[1]
        self.assertEqual(
            ['id', 'deployment_id', 'time', 'source', 'actor', 'status_from',
             'status_to', 'applied', 'reason', 'reason_code', 'details'],
            [cell.strip() for cell in header.strip('|').split('|')])
        self.assertIn("deploy_status_code='0'", out)
        self.assertLess(out.index('Outputs received'),
                        out.index('Deploy data available'))

    def test_cancel_shows_the_cancelled_deployment(self):
        cancelled = {'id': DEPLOYMENT, 'server_id': SERVER,
                     'config_id': 'c', 'input_values': {},
                     'output_values': None, 'action': 'CREATE',
                     'status': 'FAILED',
                     'status_reason': 'Deployment cancelled before its '
                                      'server fetched it; it will not run',
                     'creation_time': '2026-01-31T15:12:36Z',
                     'updated_time': '2026-01-31T15:13:36Z',
                     'status_reason_code': 'CANCELLED',
                     'delivery_timeout': 3600, 'timeout': 14400,
                     'delivered_at': None, 'deadline_at': None}
        out = self.run_command(deployments.CancelDeployment,
                               [DEPLOYMENT, '-f', 'json'],
                               answer(200, {'software_deployment': cancelled}))
        self.assertEqual(cancelled, json.loads(out))
        self.assertEqual(
            [(('/software_deployments/%s/cancel' % DEPLOYMENT, 'POST'),
              {'raise_exc': False})], self.requested())

    def test_state_show_has_the_run(self):
        shown = {'id': DEPLOYMENT, 'status': 'IN_PROGRESS',
                 'status_reason_code': 'API_UPDATE', 'timeout': 60,
                 'delivery_timeout': 30, 'delivered_at': None,
                 'deadline_at': '2026-01-31T15:13:06Z'}
        out = self.run_command(deployments.ShowState, [DEPLOYMENT],
                               answer(200, {'software_deployment': shown}))
        for word in ('deadline_at', '2026-01-31T15:13:06Z',
                     'status_reason_code', 'API_UPDATE', 'delivered_at'):
            self.assertIn(word, out)
        self.assertEqual(
            [(('/software_deployments/%s' % DEPLOYMENT, 'GET'),
              {'raise_exc': False})], self.requested())

    def test_cancel_error_is_the_api_message(self):
        message = ('Deployment %s is COMPLETE, not IN_PROGRESS: there is '
                   'nothing to cancel.' % DEPLOYMENT)
        conflict = answer(404, {'code': 409, 'title': 'Conflict',
                                'explanation': 'x',
                                'error': {'type': 'Conflict',
                                          'message': message,
                                          'traceback': None}})
        error = self.assertRaises(
            exceptions.CommandError, self.run_command,
            deployments.CancelDeployment, [DEPLOYMENT], conflict)
        self.assertEqual(message, str(error))
