from deploysvc.tests.unit.api import base


class TestSmoke(base.ApiTestCase):

    def test_create_show_deployment(self):
        config = self.post('/software_configs',
                           {'name': 'c', 'group': 'script', 'config': 'echo'},
                           status=200).json['software_config']
        dep = self.post('/software_deployments',
                        {'config_id': config['id'], 'server_id': 'srv',
                         'action': 'CREATE', 'status': 'IN_PROGRESS'},
                        status=200).json['software_deployment']
        shown = self.get('/software_deployments/' + dep['id'], status=200)
        self.assertEqual(dep, shown.json['software_deployment'])
        updated = self.put('/software_deployments/' + dep['id'],
                           {'status': 'COMPLETE',
                            'output_values': {'deploy_status_code': 0}},
                           status=200).json['software_deployment']
        self.assertEqual('COMPLETE', updated['status'])
        self.assertIn('updated_time', updated)
        md = self.get('/software_deployments/metadata/srv', status=200).json
        self.assertEqual([config], md['metadata'])
        self.assertError(self.delete('/software_configs/' + config['id']),
                         409, 'InvalidRestrictedAction')
        self.delete('/software_deployments/' + dep['id'], status=204)
        self.delete('/software_configs/' + config['id'], status=204)
        self.assertError(self.get('/software_configs/' + config['id']),
                         404, 'NotFound',
                         'Software config with id %s not found' % config['id'])

    def test_accept_header_is_ignored(self):
        # heatclient sends Accept: application/json on every call.
        for accept in ('application/json', 'text/html', '*/*'):
            headers = self.headers(Accept=accept)
            self.get('/software_configs', headers=headers, status=200)
            response = self.post('/software_configs', {'name': 'x'},
                                 headers=headers, status=200)
            self.assertEqual('application/json', response.content_type)
            self.assertError(self.get('/software_configs/nope',
                                      headers=headers),
                             404, 'NotFound')
