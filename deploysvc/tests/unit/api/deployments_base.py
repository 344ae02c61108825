"""/v1/{tenant_id}/software_deployments: the tests' shared case.

Data is made with the DB factories; the clock is frozen so that whole
response bodies can be compared.  The tests are in
test_software_deployments_*.py, one module a behaviour.
"""

import datetime

from oslo_utils import fixture as utils_fixture

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base
from deploysvc.tests import utils

NOW = datetime.datetime(2015, 1, 31, 15, 12, 36)
NOW_STR = '2015-01-31T15:12:36Z'
SERVER = 'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5'
STACK_USER_PROJECT = 'c024bfada67845ddb17d2b0c0be8cd79'
ADMIN_ROLES = 'admin,member,reader'
INVALID = 'Data supplied was not valid: '
STATUS_CHOICES = '"status" must be one of IN_PROGRESS, COMPLETE, FAILED'
# The [deployment] defaults (seconds).
DELIVERY_TIMEOUT = 3600
TIMEOUT = 14400


def _time(seconds):
    return (NOW + datetime.timedelta(seconds=seconds)).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def with_additions(body):
    """``body`` with deploysvc's additions to Heat's deployment keys.

    Those it does not have yet: the service's default deadlines, counted
    from its creation, and the reason code of a status the API set.
    """
    in_progress = body['status'] == 'IN_PROGRESS'
    body.setdefault('status_reason_code',
                    None if body['status'] is None else 'API_UPDATE')
    body.setdefault('delivery_timeout', DELIVERY_TIMEOUT)
    body.setdefault('timeout', TIMEOUT)
    body.setdefault('delivered_at', None)
    if in_progress and 'deadline_at' not in body:
        created = datetime.datetime.strptime(body['creation_time'],
                                             '%Y-%m-%dT%H:%M:%SZ')
        body['deadline_at'] = _time(
            (created - NOW).total_seconds() + DELIVERY_TIMEOUT)
    body.setdefault('deadline_at', None)
    return body


class DeploymentTestCase(base.ApiTestCase):

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(utils_fixture.TimeFixture(NOW))
        self.sc = utils.create_test_config(self.context)
        self.other_context = self.make_context(test_base.OTHER_PROJECT)

    def admin_headers(self):
        return self.headers(roles=ADMIN_ROLES)

    def as_project(self, project_id, roles='member,reader'):
        """Request keywords: URL tenant and token of ``project_id``."""
        return {'project_id': project_id,
                'headers': self.headers(project_id, roles=roles)}

    def seed_deployment(self, context=None, config_id=None, **kw):
        """A deployment stored by the DB factory (IN_PROGRESS, CREATE)."""
        context = context or self.context
        if config_id is None:
            config_id = (self.sc.id if context is self.context
                         else utils.create_test_config(context).id)
        return utils.create_test_deployment(context, config_id=config_id,
                                            **kw)

    @staticmethod
    def expected(row, **kw):
        """The API body of a factory deployment, from literal values."""
        body = {
            'id': row.id,
            'server_id': SERVER,
            'config_id': row.config_id,
            'input_values': {},
            'output_values': None,
            'action': 'CREATE',
            'status': 'IN_PROGRESS',
            'status_reason': 'Deploy data available',
            'creation_time': NOW_STR,
        }
        body.update(kw)
        return with_additions(body)

    def post_deployment(self, body, status=200, **kw):
        response = self.post('/software_deployments', body, status=status,
                             **kw)
        self.assertEqual('application/json', response.content_type)
        return response

    def list_deployments(self, query='', **kw):
        response = self.get('/software_deployments' + query, **kw)
        return response

    def list_ids(self, query='', **kw):
        response = self.list_deployments(query, status=200, **kw)
        return [d['id'] for d in response.json['software_deployments']]
