"""Agent loop API tests (issue 5): the signal URL.

``/agent/v1/signal/...`` applies heat-config-notify's results with Heat's
rules (doc/source/contributor/behaviour.rst, behaviour-signal-rules).
"""

import json

import ddt

from deploysvc.agent import tokens
from deploysvc.tests.unit.api import agent_base

STANDARD_NULLS = {'deploy_stdout': None, 'deploy_stderr': None,
                  'deploy_status_code': None}


@ddt.ddt
class TestSignals(agent_base.AgentTestCase):

    def test_success(self):
        deployment, _, url = self.setup_signal()
        details = {'result': 'ok', 'deploy_stdout': 'out',
                   'deploy_stderr': 'err', 'deploy_status_code': 0}
        body = self.signal(url, details)
        self.assertEqual({'status': 'COMPLETE', 'applied': True,
                          'event': 'deployment %s succeeded' %
                          deployment['id']}, body)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual('Outputs received', shown['status_reason'])
        self.assertEqual(details, shown['output_values'])
        self.assertIn('updated_time', shown)
        for key in ('config_id', 'input_values', 'action', 'server_id',
                    'creation_time'):
            self.assertEqual(deployment[key], shown[key])

    @ddt.data('PUT', 'POST')
    def test_methods(self, method):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'deploy_status_code': 3}, method=method)
        self.assertEqual({'status': 'FAILED', 'applied': True,
                          'event': 'deployment %s failed (3)' %
                          deployment['id']}, body)
        self.assertEqual(agent_base.CODE_REASON % 3, self.show_deployment(
            deployment['id'])['status_reason'])

    @ddt.data(0, '0', None, '', False, 0.0)
    def test_success_codes(self, code):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'deploy_status_code': code})
        self.assertEqual('COMPLETE', body['status'])
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(('COMPLETE', 'Outputs received'),
                         (shown['status'], shown['status_reason']))
        self.assertEqual(dict(STANDARD_NULLS, deploy_status_code=code),
                         shown['output_values'])

    @ddt.data((1, '1'), ('1', '1'), (-1, '-1'), (True, 'True'),
              ('127', '127'), ('00', '00'), ('false', 'false'),
              (2.5, '2.5'))
    @ddt.unpack
    def test_failure_codes(self, code, text):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'deploy_status_code': code})
        self.assertEqual({'status': 'FAILED', 'applied': True,
                          'event': 'deployment %s failed (%s)' % (
                              deployment['id'], text)}, body)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('FAILED', shown['status'])
        self.assertEqual(agent_base.CODE_REASON % text, shown['status_reason'])
        self.assertEqual(code, shown['output_values']['deploy_status_code'])

    @ddt.data(('boom', 'err : boom'), (None, 'err : None'),
              ('', 'err : '), (0, 'err : 0'),
              ({'a': 1}, "err : {'a': 1}"), ([1, 'x'], "err : [1, 'x']"))
    @ddt.unpack
    def test_error_output_present_fails(self, value, reason):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'err': value, 'deploy_status_code': 0})
        self.assertEqual({'status': 'FAILED', 'applied': True,
                          'event': 'deployment %s failed' %
                          deployment['id']}, body)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(('FAILED', reason),
                         (shown['status'], shown['status_reason']))
        self.assertEqual(dict(STANDARD_NULLS, err=value,
                              deploy_status_code=0), shown['output_values'])

    def test_code_and_error_output(self):
        # Heat: the status code's reason first; the event of the error
        # output (no code) wins.
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'err': 'boom', 'deploy_status_code': 4})
        self.assertEqual('deployment %s failed' % deployment['id'],
                         body['event'])
        self.assertEqual(agent_base.CODE_REASON % 4 + ', err : boom',
                         self.show_deployment(deployment['id'])[
                             'status_reason'])

    def test_several_error_outputs_in_declared_order(self):
        config = self.create_config(outputs=[
            {'name': 'e2', 'error_output': True},
            {'name': 'ok'},
            {'name': 'e1', 'error_output': True}])
        deployment, _, url = self.setup_signal(config_id=config['id'])
        self.signal(url, {'e1': 'one', 'e2': 'two', 'ok': 'fine'})
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('e2 : two, e1 : one', shown['status_reason'])
        self.assertEqual(dict(STANDARD_NULLS, e1='one', e2='two', ok='fine'),
                         shown['output_values'])

    def test_error_output_false_does_not_fail(self):
        config = self.create_config(outputs=[
            {'name': 'warn', 'error_output': False}])
        deployment, _, url = self.setup_signal(config_id=config['id'])
        self.assertEqual('COMPLETE', self.signal(url, {'warn': 'x'})[
            'status'])

    def test_merges_into_existing_output_values(self):
        deployment, _, url = self.setup_signal()
        self.update_deployment(deployment['id'], {
            'output_values': {'result': 'old', 'keep': 1,
                              'deploy_stdout': 'previous'}})
        self.signal(url, {'deploy_stderr': 'e'})
        self.assertEqual({'result': 'old', 'keep': 1, 'deploy_stdout': None,
                          'deploy_stderr': 'e', 'deploy_status_code': None},
                         self.show_deployment(deployment['id'])[
                             'output_values'])

    def test_declared_output_overwrites(self):
        deployment, _, url = self.setup_signal()
        self.update_deployment(deployment['id'],
                               {'output_values': {'result': 'old'}})
        self.signal(url, {'result': None})
        self.assertEqual(dict(STANDARD_NULLS, result=None),
                         self.show_deployment(deployment['id'])[
                             'output_values'])

    def test_undeclared_keys_dropped(self):
        deployment, _, url = self.setup_signal()
        self.signal(url, {'result': 'r', 'extra': 1, 'deploy_other': 'x',
                          'deploy_status_code': 0})
        self.assertEqual(dict(STANDARD_NULLS, result='r',
                              deploy_status_code=0),
                         self.show_deployment(deployment['id'])[
                             'output_values'])

    def test_config_without_outputs(self):
        config = self.create_config(outputs=None)
        deployment, _, url = self.setup_signal(config_id=config['id'])
        self.signal(url, {'result': 'r', 'deploy_stdout': 'o'})
        self.assertEqual(dict(STANDARD_NULLS, deploy_stdout='o'),
                         self.show_deployment(deployment['id'])[
                             'output_values'])

    @ddt.data(b'', b'  \n', b'{}')
    def test_empty_body_is_an_empty_object(self, raw):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, raw)
        self.assertEqual('COMPLETE', body['status'])
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(STANDARD_NULLS, shown['output_values'])
        self.assertEqual('Outputs received', shown['status_reason'])
        self.assertEqual({}, self.events(deployment['id'])[0]['details'])

    def test_no_content_type(self):
        deployment, _, url = self.setup_signal()
        response = self.request('PUT', agent_base.path_of(url), headers={},
                                body=b'{"deploy_status_code": 0}',
                                content_type='', status=200)
        self.assertEqual('COMPLETE', response.json['status'])

    @ddt.data(b'[]', b'"text"', b'null', b'1', b'not json', b'{bad',
              b'{"a": NaN}')
    def test_non_object_body(self, raw):
        deployment, _, url = self.setup_signal()
        response = self.signal(url, raw, status=400)
        self.assertError(response, 400, 'HTTPBadRequest')
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        self.assertEqual(1, len(self.events(deployment['id'])))

    def test_body_too_large(self):
        self.config(max_json_body_size=512)
        deployment, _, url = self.setup_signal()
        raw = json.dumps({'deploy_stdout': 'x' * 600}).encode()
        response = self.signal(url, raw, status=400)
        self.assertError(response, 400, 'RequestLimitExceeded',
                         'Request limit exceeded: JSON body size (%d bytes) '
                         'exceeds maximum allowed size (512 bytes).'
                         % len(raw))
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        self.assertEqual(1, len(self.events(deployment['id'])))

    def test_large_details_are_trimmed_in_the_history(self):
        deployment, _, url = self.setup_signal()
        details = {'deploy_stdout': 'x' * 70000}
        self.signal(url, details)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('x' * 70000, shown['output_values']['deploy_stdout'])
        event = self.events(deployment['id'])[0]
        self.assertEqual({'truncated': True,
                          'size': len(json.dumps(details))},
                         event['details'])

    def test_no_identity_needed_and_identity_ignored(self):
        deployment, _, url = self.setup_signal()
        headers = {'X-User-Id': 'intruder',
                   'X-Project-Id': agent_base.OTHER_PROJECT,
                   'X-Roles': 'admin'}
        self.signal(url, {}, headers=headers)
        self.assertEqual('agent', self.events(deployment['id'])[0]['actor'])

    @ddt.data('COMPLETE', 'FAILED')
    def test_not_in_progress(self, status):
        deployment, _, url = self.setup_signal()
        before = self.update_deployment(deployment['id'], {
            'status': status, 'status_reason': 'done by hand',
            'output_values': {'result': 'kept'}})
        details = {'result': 'late', 'deploy_status_code': 1}
        body = self.signal(url, details)
        self.assertEqual({'status': status, 'applied': False}, body)
        self.assertEqual(before, self.show_deployment(deployment['id']))
        event = self.events(deployment['id'])[0]
        self.assertEqual({'source': 'signal', 'actor': 'agent',
                          'status_from': status, 'status_to': status,
                          'applied': False,
                          'reason': 'Ignored: the deployment is %s, not '
                                    'IN_PROGRESS.' % status,
                          'reason_code': 'SIGNAL_IGNORED',
                          'details': details},
                         dict((k, event[k]) for k in agent_base.EVENT_KEYS
                              if k not in ('id', 'deployment_id', 'time')))

    def test_duplicate_signal_is_ignored_but_recorded(self):
        deployment, _, url = self.setup_signal()
        self.signal(url, {'result': 'first'})
        done = self.show_deployment(deployment['id'])
        body = self.signal(url, {'result': 'second', 'err': 'x'},
                           method='POST')
        self.assertEqual({'status': 'COMPLETE', 'applied': False}, body)
        self.assertEqual(done, self.show_deployment(deployment['id']))
        events = self.events(deployment['id'])
        self.assertEqual([False, True, True],
                         [e['applied'] for e in events])
        self.assertEqual({'result': 'second', 'err': 'x'},
                         events[0]['details'])

    def test_without_status_is_ignored(self):
        deployment, _, url = self.setup_signal(status=None,
                                               status_reason=None)
        body = self.signal(url, {'deploy_status_code': 0})
        self.assertEqual({'status': None, 'applied': False}, body)
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        [event] = self.events(deployment['id'])
        self.assertEqual((None, None, False), (
            event['status_from'], event['status_to'], event['applied']))
        self.assertEqual('Ignored: the deployment is without a status, not '
                         'IN_PROGRESS.', event['reason'])

    def test_wrong_mac(self):
        deployment, _, url = self.setup_signal()
        mac = url.rsplit('/', 1)[1]
        response = self.signal(url[:-len(mac)] + agent_base.other_mac(mac), {},
                               status=404)
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % deployment['id'])
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        self.assertEqual(1, len(self.events(deployment['id'])))

    def test_metadata_mac_is_not_a_signal_mac(self):
        deployment, _, url = self.setup_signal()
        secret = self.credential().secret
        mac = tokens.mac(secret, tokens.METADATA, deployment['id'])
        self.signal(url.rsplit('/', 1)[0] + '/' + mac, {}, status=404)
        self.assertEqual(deployment, self.show_deployment(deployment['id']))

    def test_unknown_deployment(self):
        self.setup_signal()
        unknown = '00000000-0000-4000-8000-000000000000'
        mac = tokens.mac(self.credential().secret, tokens.SIGNAL, unknown)
        response = self.signal('/agent/v1/signal/%s/%s' % (unknown, mac), {},
                               status=404)
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % unknown)

    def test_mac_of_another_deployment(self):
        first, url, first_signal = self.setup_signal()
        second = self.create_deployment()
        mac = first_signal.rsplit('/', 1)[1]
        self.signal('/agent/v1/signal/%s/%s' % (second['id'], mac), {},
                    status=404)
        self.assertEqual(second, self.show_deployment(second['id']))

    def test_other_projects_deployment_on_the_same_server(self):
        # A project's credential never signs another project's deployment.
        self.rotate()
        theirs = self.create_deployment(project_id=agent_base.OTHER_PROJECT)
        mac = tokens.mac(self.credential().secret, tokens.SIGNAL,
                         theirs['id'])
        self.signal('/agent/v1/signal/%s/%s' % (theirs['id'], mac), {},
                    status=404)
        self.assertEqual(theirs, self.show_deployment(
            theirs['id'], project_id=agent_base.OTHER_PROJECT))

    def test_server_without_agent_url(self):
        deployment = self.create_deployment()
        self.rotate(agent_base.OTHER_SERVER)
        mac = tokens.mac(self.credential(agent_base.OTHER_SERVER).secret,
                         tokens.SIGNAL,
                         deployment['id'])
        self.signal('/agent/v1/signal/%s/%s' % (deployment['id'], mac), {},
                    status=404)
        self.assertEqual(deployment, self.show_deployment(deployment['id']))

    @ddt.data('GET', 'DELETE', 'PATCH')
    def test_method_not_allowed(self, method):
        deployment, _, url = self.setup_signal()
        response = self.agent(method, url, status=405)
        self.assertError(response, 405, 'HTTPMethodNotAllowed')
        self.assertAllow(response, 'PUT', 'POST')
        self.assertEqual(deployment, self.show_deployment(deployment['id']))

    def test_extra_path_segment(self):
        deployment, _, url = self.setup_signal()
        self.signal(url + '/more', {}, status=404)
        self.assertEqual(deployment, self.show_deployment(deployment['id']))

    def test_deleted_deployment(self):
        deployment, _, url = self.setup_signal()
        self.delete('/software_deployments/' + deployment['id'], status=204)
        self.signal(url, {}, status=404)
