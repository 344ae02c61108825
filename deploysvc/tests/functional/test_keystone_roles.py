"""The keystone pipeline against the real Keystone: stack user and admins.

Identities and tokens: see keystone_base (doc/source/contributor/behaviour.rst,
behaviour-policy and behaviour-admin).  Without
``DEPLOYSVC_TEST_KEYSTONE_URL`` every test fails, saying so.
"""

from deploysvc.tests.functional import keystone_base


class TestStackUser(keystone_base.KeystoneTestCase):
    """heat_stack_user in the stack user project: what the agent needs.

    It reads the deployments that name its project, their configs and
    their server's metadata, and signals them; nothing else
    (doc/source/contributor/behaviour.rst, behaviour-visibility).
    """

    def test_reads_and_signals_only_deployments_naming_its_project(self):
        stack_project = self.project('STACK_AGENT')
        server = keystone_base.new_id()
        config = self.create_config(name='b-shared')
        hidden = self.create_config(name='a-hidden')
        shared = self.create_deployment(
            config['id'], server, stack_user_project_id=stack_project)
        self.create_deployment(hidden['id'], server)

        metadata = self.ok('STACK_AGENT', 'GET', stack_project,
                           '/software_deployments/metadata/' + server)
        owner_view = self.ok('DEMO_MEMBER', 'GET',
                             self.project('DEMO_MEMBER'),
                             '/software_deployments/metadata/' + server)
        self.assertEqual([hidden['id'], config['id']],
                         [c['id'] for c in owner_view['metadata']])
        self.assertEqual({'metadata': [owner_view['metadata'][1]]},
                         metadata)
        self.assertEqual(keystone_base.SCRIPT,
                         metadata['metadata'][0]['config'])
        shown = self.ok('STACK_AGENT', 'GET', stack_project,
                        '/software_deployments/' + shared['id'])[
                            'software_deployment']
        # The stack user's read of the metadata was the delivery
        # (behaviour-deadlines); nothing else changed.
        self.assertIsNone(shared['delivered_at'])
        self.assertIsNotNone(shown.pop('delivered_at'))
        self.assertNotEqual(shared.pop('deadline_at'),
                            shown.pop('deadline_at'))
        del shared['delivered_at']
        self.assertEqual(shared, shown)
        self.assertEqual(config, self.ok(
            'STACK_AGENT', 'GET', stack_project,
            '/software_configs/' + config['id'])['software_config'])
        # A config of the owner that no deployment naming it uses.
        response = self.call('STACK_AGENT', 'GET', stack_project,
                             '/software_configs/' + hidden['id'])
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % hidden['id'])

        denied = [
            ('GET', '/software_configs', None, 'software_configs:index'),
            ('POST', '/software_configs', {'name': 'x'},
             'software_configs:create'),
            ('DELETE', '/software_configs/' + config['id'], None,
             'software_configs:delete'),
            ('GET', '/software_deployments', None,
             'software_deployments:index'),
            ('POST', '/software_deployments',
             {'config_id': config['id'], 'server_id': server},
             'software_deployments:create'),
            ('GET', '/software_deployments/%s/events' % shared['id'], None,
             'software_deployments:events'),
            ('PUT', '/software_deployments/' + shared['id'],
             {'status': 'FAILED', 'output_values': {'x': 1}},
             'software_deployments:update'),
            ('DELETE', '/software_deployments/' + shared['id'], None,
             'software_deployments:delete'),
            ('POST', '/validate', {'template': keystone_base.TEMPLATE},
             'stacks:validate_template'),
        ]
        for method, path, body, rule in denied:
            response = self.call('STACK_AGENT', method, stack_project, path,
                                 body)
            self.assertError(response, 403, 'Forbidden',
                             'You are not authorized to use %s.' % rule)
        # Not even the metadata under the owner's URL.
        response = self.call('STACK_AGENT', 'GET',
                             self.project('DEMO_MEMBER'),
                             '/software_deployments/metadata/' + server)
        self.assertError(response, 403, 'HTTPForbidden',
                         'Access was denied to this resource.')
        # Nothing changed.
        shown = self.ok('DEMO_MEMBER', 'GET', self.project('DEMO_MEMBER'),
                        '/software_deployments/' + shared['id'])[
                            'software_deployment']
        # (Delivered by the stack user's read of the metadata, above.)
        del shown['delivered_at'], shown['deadline_at']
        self.assertEqual(shared, shown)
        self.ok('DEMO_MEMBER', 'GET', self.project('DEMO_MEMBER'),
                '/software_configs/' + config['id'])

        # It sends the outputs.
        signalled = self.ok('STACK_AGENT', 'POST', stack_project,
                            '/software_deployments/%s/signal'
                            % shared['id'], {'deploy_status_code': 0})
        self.assertEqual({'status': 'COMPLETE', 'applied': True,
                          'event': 'deployment %s succeeded'
                          % shared['id']}, signalled)

    def test_members_of_the_named_project_see_nothing(self):
        # Any member of the owner may name a project (the wire contract's
        # example does); that project's members gain nothing by it.
        stack_project = self.project('STACK_MEMBER')
        server = keystone_base.new_id()
        config = self.create_config()
        shared = self.create_deployment(
            config['id'], server, stack_user_project_id=stack_project)
        listed = self.ok('STACK_MEMBER', 'GET', stack_project,
                         '/software_deployments')['software_deployments']
        self.assertNotIn(shared['id'], [d['id'] for d in listed])
        self.assertEqual({'metadata': []}, self.ok(
            'STACK_MEMBER', 'GET', stack_project,
            '/software_deployments/metadata/' + server))
        for method, path, body in (
                ('GET', '/software_deployments/' + shared['id'], None),
                ('PUT', '/software_deployments/' + shared['id'],
                 {'status': 'FAILED'}),
                ('DELETE', '/software_deployments/' + shared['id'], None),
                ('POST', '/software_deployments/%s/signal' % shared['id'],
                 {'deploy_status_code': 1}),
                ('GET', '/software_deployments/%s/events' % shared['id'],
                 None)):
            response = self.call('STACK_MEMBER', method, stack_project, path,
                                 body)
            self.assertError(response, 404, 'NotFound',
                             'Deployment with id %s not found' % shared['id'])
        response = self.call('STACK_MEMBER', 'GET', stack_project,
                             '/software_configs/' + config['id'])
        self.assertEqual(404, response.status, response.body)
        shown = self.ok('DEMO_MEMBER', 'GET', self.project('DEMO_MEMBER'),
                        '/software_deployments/' + shared['id'])
        self.assertEqual(shared, shown['software_deployment'])

    def test_sees_nothing_of_deployments_naming_no_or_another_project(self):
        server = keystone_base.new_id()
        config = self.create_config()
        self.create_deployment(config['id'], server)
        self.create_deployment(config['id'], server,
                               stack_user_project_id=self.project(
                                   'ALT_MEMBER'))
        metadata = self.ok('STACK_AGENT', 'GET', self.project('STACK_AGENT'),
                           '/software_deployments/metadata/' + server)
        self.assertEqual({'metadata': []}, metadata)


class TestAdmin(keystone_base.KeystoneTestCase):
    """The admin of Keystone's admin project sees every project."""

    def test_admin_sees_and_manages_every_project(self):
        server = keystone_base.new_id()
        demo_config = self.create_config(key='DEMO_MEMBER', name='demo-config')
        alt_config = self.create_config(key='ALT_MEMBER', name='alt-config')
        demo = self.create_deployment(demo_config['id'], server,
                                      key='DEMO_MEMBER')
        alt = self.create_deployment(alt_config['id'], server,
                                     key='ALT_MEMBER')
        expected = {demo['id']: self.project('DEMO_MEMBER'),
                    alt['id']: self.project('ALT_MEMBER')}

        for url_project in (self.project('ADMIN'), keystone_base.ELSEWHERE):
            configs = self.ok('ADMIN', 'GET', url_project,
                              '/software_configs')['software_configs']
            projects = dict((c['id'], c['project']) for c in configs)
            self.assertEqual(self.project('DEMO_MEMBER'),
                             projects.get(demo_config['id']))
            self.assertEqual(self.project('ALT_MEMBER'),
                             projects.get(alt_config['id']))
            deployments = self.ok(
                'ADMIN', 'GET', url_project,
                '/software_deployments?server_id=' + server)[
                'software_deployments']
            self.assertEqual(expected, dict((d['id'], d['project'])
                                            for d in deployments))
            metadata = self.ok('ADMIN', 'GET', url_project,
                               '/software_deployments/metadata/' + server)
            self.assertEqual({alt_config['id'], demo_config['id']},
                             set(c['id'] for c in metadata['metadata']))

        shown = self.ok('ADMIN', 'GET', self.project('ADMIN'),
                        '/software_configs/' + alt_config['id'])
        self.assertEqual(self.project('ALT_MEMBER'),
                         shown['software_config']['project'])
        updated = self.ok('ADMIN', 'PUT', self.project('ADMIN'),
                          '/software_deployments/' + alt['id'],
                          {'status': 'COMPLETE'})['software_deployment']
        self.assertEqual(('COMPLETE', self.project('ALT_MEMBER')),
                         (updated['status'], updated['project']))
        # The owners still see their own objects only, without "project".
        listed = self.ok('ALT_MEMBER', 'GET', self.project('ALT_MEMBER'),
                         '/software_deployments?server_id=' + server)
        self.assertEqual([alt['id']], [d['id'] for d in
                                       listed['software_deployments']])
        self.assertNotIn('project', listed['software_deployments'][0])
        self.assertEqual('COMPLETE',
                         listed['software_deployments'][0]['status'])

    def test_an_admin_outside_the_admin_project_is_not_cloud_admin(self):
        config = self.create_config(key='DEMO_MEMBER')
        response = self.call('SERVICE', 'GET', self.project('SERVICE'),
                             '/software_configs/' + config['id'])
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % config['id'])
        listed = self.ok('SERVICE', 'GET', self.project('SERVICE'),
                         '/software_configs')['software_configs']
        self.assertNotIn(config['id'], [c['id'] for c in listed])
