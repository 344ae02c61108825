"""/v1/{tenant_id}/software_configs: the tests' shared case and keys.

The tests are in test_software_configs_*.py, one module a behaviour.
"""

import datetime

from oslo_utils import fixture as utils_fixture

from deploysvc.tests.unit.api import base

ADMIN_ROLES = 'admin,member,reader'
CONFIG_KEYS = {'id', 'name', 'group', 'creation_time', 'config', 'inputs',
               'outputs', 'options'}
SUMMARY_KEYS = {'id', 'name', 'group', 'creation_time'}
T0 = datetime.datetime(2015, 1, 31, 15, 12, 36)
# The api-ref's request sample and what Heat's code returns.
API_REF_CONFIG = ('#!/bin/sh -x\necho "Writing to /tmp/$bar"\n'
                  'echo $foo > /tmp/$bar\n')
API_REF_REQUEST = {
    'inputs': [
        {'default': None, 'type': 'String', 'name': 'foo',
         'description': None},
        {'default': None, 'type': 'String', 'name': 'bar',
         'description': None},
    ],
    'group': 'script',
    'name': 'a-config-we5zpvyu7b5o',
    'outputs': [{'type': 'String', 'name': 'result', 'error_output': False,
                 'description': None}],
    'config': API_REF_CONFIG,
    'options': None,
}


def summary(config, project=None):
    """The list item of a full config (plus ``project`` for admins)."""
    item = dict((key, config[key]) for key in SUMMARY_KEYS)
    if project is not None:
        item['project'] = project
    return item


class ConfigsTestCase(base.ApiTestCase):

    def create(self, body=None, **kw):
        body = {'name': 'c'} if body is None else body
        response = self.post('/software_configs', body, status=200, **kw)
        return response.json['software_config']

    def list_configs(self, query='', **kw):
        response = self.get('/software_configs' + query, status=200, **kw)
        # A cut page also links to the next (test_list_paging.py).
        self.assertIn(list(response.json), (
            ['software_configs'],
            ['software_configs', 'software_configs_links']))
        return response.json['software_configs']

    def at(self, when):
        """Freeze the clock (creation times) at ``when``."""
        self.useFixture(utils_fixture.TimeFixture(when))
