"""/v1/{tenant_id}/software_configs: delete.

See doc/source/contributor/behaviour.rst, behaviour-config-delete.
"""

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import configs_base
from deploysvc.tests import utils


class TestDelete(configs_base.ConfigsTestCase):

    def test_delete(self):
        created = self.create()
        response = self.delete('/software_configs/' + created['id'],
                               status=204)
        self.assertEqual(b'', response.body)
        response = self.get('/software_configs/' + created['id'], status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % created['id'])
        self.assertEqual([], self.list_configs())

    def test_delete_twice(self):
        created = self.create()
        self.delete('/software_configs/' + created['id'], status=204)
        response = self.delete('/software_configs/' + created['id'],
                               status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % created['id'])

    def test_delete_other_project(self):
        other_context = self.make_context(test_base.OTHER_PROJECT)
        other = utils.create_test_config(other_context)
        response = self.delete('/software_configs/' + other.id, status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found' % other.id)
        shown = self.get('/software_configs/' + other.id,
                         headers=self.headers(test_base.OTHER_PROJECT),
                         project_id=test_base.OTHER_PROJECT, status=200)
        self.assertEqual(other.id, shown.json['software_config']['id'])

    def test_delete_referenced(self):
        created = self.create(configs_base.API_REF_REQUEST)
        deployment = self.post('/software_deployments',
                               {'config_id': created['id'],
                                'server_id': 'srv'}, status=200)
        response = self.delete('/software_configs/' + created['id'],
                               status=409)
        self.assertEqual({
            'code': 409, 'title': 'Conflict',
            'explanation': 'There was a conflict when trying to complete '
                           'your request.',
            'error': {'type': 'InvalidRestrictedAction',
                      'message': 'Software config with id %s can not be '
                                 'deleted as it is referenced.'
                                 % created['id'],
                      'traceback': None}}, response.json)
        shown = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual({'software_config': created}, shown.json)
        # Once the deployment is gone the config can go.
        self.delete('/software_deployments/%s' % deployment.json[
            'software_deployment']['id'], status=204)
        self.delete('/software_configs/' + created['id'], status=204)

    def test_delete_referenced_by_other_project(self):
        created = self.create()
        utils.create_test_deployment(
            self.make_context(test_base.OTHER_PROJECT, is_admin=True),
            config_id=created['id'])
        response = self.delete('/software_configs/' + created['id'],
                               status=409)
        self.assertError(response, 409, 'InvalidRestrictedAction',
                         'Software config with id %s can not be deleted as '
                         'it is referenced.' % created['id'])
        self.get('/software_configs/' + created['id'], status=200)

    def test_delete_policy(self):
        created = self.create()
        response = self.delete('/software_configs/' + created['id'],
                               headers=self.headers(roles='reader'),
                               status=403)
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:delete.')
        self.get('/software_configs/' + created['id'], status=200)
