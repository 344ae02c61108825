"""Who may do what: the details the RBAC matrix does not show.

See doc/source/contributor/behaviour.rst, behaviour-policy,
behaviour-visibility and behaviour-admin.
"""

from deploysvc.tests.unit.api import rbac_base
from deploysvc.tests import utils


class TestRbacDetails(rbac_base.SeededTestCase):
    """What the matrix cannot say in one cell."""

    def test_not_found_names_the_object(self):
        headers = self.persona_headers('other_member')
        response = self.get('/software_configs/' + self.config_id,
                            headers=headers, project_id=rbac_base.OTHER)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % self.config_id)
        response = self.get('/software_deployments/' + self.deployment_id,
                            headers=headers, project_id=rbac_base.OTHER)
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found'
                         % self.deployment_id)
        response = self.post('/software_deployments',
                             {'config_id': self.config_id,
                              'server_id': 'srv'},
                             headers=headers, project_id=rbac_base.OTHER)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % self.config_id)

    def test_denied_objects_are_untouched(self):
        for persona in ('reader', 'other_member', 'stack_user'):
            headers = self.persona_headers(persona)
            project = rbac_base.PERSONAS[persona][0]
            self.delete('/software_configs/' + self.spare_id,
                        headers=headers, project_id=project)
            self.delete('/software_deployments/' + self.deployment_id,
                        headers=headers, project_id=project)
            self.put('/software_deployments/' + self.deployment_id,
                     {'status': 'FAILED'}, headers=headers,
                     project_id=project)
        shown = self.get('/software_deployments/' + self.deployment_id,
                         status=200).json['software_deployment']
        self.assertEqual('IN_PROGRESS', shown['status'])
        self.assertNotIn('updated_time', shown)
        self.get('/software_configs/' + self.spare_id, status=200)

    def test_admin_creates_in_own_project_whatever_the_url(self):
        headers = self.persona_headers('cloud_admin')
        created = self.post('/software_configs', {'name': 'adm'},
                            headers=headers, project_id=rbac_base.OWNER,
                            status=200).json['software_config']
        listed = self.get('/software_configs', headers=headers,
                          status=200).json['software_configs']
        projects = dict((c['id'], c['project']) for c in listed)
        self.assertEqual(rbac_base.ADMIN_PROJECT, projects[created['id']])
        self.assertEqual(rbac_base.OWNER, projects[self.config_id])
        # The owner does not see it; a member of the admin project does.
        owned = self.get('/software_configs',
                         status=200).json['software_configs']
        self.assertNotIn(created['id'], [c['id'] for c in owned])
        self.assertNotIn('project', owned[0])
        self.get('/software_configs/' + created['id'], status=200,
                 headers=self.headers(project_id=rbac_base.ADMIN_PROJECT),
                 project_id=rbac_base.ADMIN_PROJECT)

    def test_admin_lists_show_projects(self):
        headers = self.persona_headers('cloud_admin')
        configs = self.get('/software_configs', headers=headers,
                           project_id=rbac_base.ELSEWHERE,
                           status=200).json['software_configs']
        self.assertEqual({rbac_base.OWNER}, set(c['project'] for c in configs))
        deployments = self.get('/software_deployments', headers=headers,
                               status=200).json['software_deployments']
        self.assertEqual({self.deployment_id, self.unshared_id,
                          self.group_child_id},
                         set(d['id'] for d in deployments))
        self.assertEqual({rbac_base.OWNER},
                         set(d['project'] for d in deployments))

    def test_scoped_admin_is_not_cloud_admin(self):
        headers = self.persona_headers('scoped_admin')
        configs = self.get('/software_configs', headers=headers,
                           project_id=rbac_base.OTHER,
                           status=200).json['software_configs']
        self.assertEqual([], configs)

    def test_stack_user_metadata_of_its_deployments_only(self):
        headers = self.persona_headers('stack_user')
        other = utils.create_test_config(self.make_context(rbac_base.OWNER),
                                         name='aaa-first')
        utils.create_test_deployment(self.make_context(rbac_base.OWNER),
                                     config_id=other.id,
                                     server_id=rbac_base.SERVER)
        metadata = self.get(
            '/software_deployments/metadata/' + rbac_base.SERVER,
            headers=headers, project_id=rbac_base.STACK_PROJECT,
            status=200).json['metadata']
        # The owner's deployment without a stack user project is hidden.
        self.assertEqual([self.config_id], [c['id'] for c in metadata])
        self.assertEqual('used', metadata[0]['name'])
        owner_view = self.get(
            '/software_deployments/metadata/' + rbac_base.SERVER,
            status=200).json['metadata']
        self.assertEqual([other.id, self.config_id],
                         [c['id'] for c in owner_view])

    def test_stack_user_reads_only_configs_of_deployments_naming_it(self):
        headers = self.persona_headers('stack_user')
        shown = self.get('/software_configs/' + self.config_id,
                         headers=headers, project_id=rbac_base.STACK_PROJECT,
                         status=200).json['software_config']
        self.assertEqual(('used', self.config_id), (shown['name'],
                                                    shown['id']))
        # The owner's config that no deployment naming it uses.
        response = self.get('/software_configs/' + self.spare_id,
                            headers=headers,
                            project_id=rbac_base.STACK_PROJECT)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % self.spare_id)
        # The deployment that names no stack user project.
        response = self.get('/software_deployments/' + self.unshared_id,
                            headers=headers,
                            project_id=rbac_base.STACK_PROJECT)
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % self.unshared_id)

    def test_stack_user_of_another_stack_project_sees_nothing(self):
        headers = self.headers(project_id='another-stack-project',
                               roles='heat_stack_user')
        response = self.get('/software_deployments/metadata/'
                            + rbac_base.SERVER, headers=headers,
                            project_id='another-stack-project', status=200)
        self.assertEqual({'metadata': []}, response.json)

    def test_tenant_check_precedes_policy(self):
        # A role-less user of another project hears about the URL first.
        headers = self.headers(project_id=rbac_base.OTHER, roles='')
        self.assertError(self.get('/software_configs', headers=headers),
                         403, 'HTTPForbidden')
