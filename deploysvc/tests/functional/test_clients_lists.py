"""The real clients list every row of a full project: 4,096 of each.

The default quotas let a project own 4,096 configs and 4,096
deployments; openstacksdk's ``software_configs()`` and
``software_deployments(server_id=...)`` (which filters on the client and
sends no ``limit``) and heatclient's lists (which never page) must get
every one of them, as from Heat (doc/source/contributor/behaviour.rst,
behaviour-list-cap and behaviour-paging).  The rows are inserted in bulk
into the server's database, with the project's quota usage, then read
through the unmodified clients; with ``[api] max_limit`` lowered,
openstacksdk asking for pages must follow the next links.
"""

import datetime
import json

import openstack
from oslo_utils import uuidutils
import sqlalchemy as sa

from deploysvc.db import models
from deploysvc.db import quotas
from deploysvc.tests.functional import base
from deploysvc.tests.functional import clients_base

# The default quota of each (conf/default.py).
COUNT = 4096
SERVERS = 3


def seed(db_url, project_id):
    """COUNT configs and COUNT deployments of ``project_id``: their ids.

    The deployments are spread over SERVERS servers in turn (1,366 on the
    first, more than the former cap of 1,000) and the configs' creation
    times repeat in threes, so that the order breaks ties by id.
    """
    start = datetime.datetime(2025, 1, 1)
    configs, deployments = [], []
    for n in range(COUNT):
        created = start + datetime.timedelta(seconds=n // 3)
        config_id = uuidutils.generate_uuid()
        configs.append({
            'id': config_id, 'project_id': project_id, 'created_at': created,
            'name': 'config-%04d' % n, 'group': 'script',
            'config': clients_base.SCRIPT,
            'inputs': [{'name': 'foo', 'type': 'String'}],
            'outputs': [{'name': 'result', 'type': 'String',
                         'error_output': False}],
            'options': {}})
        deployments.append({
            'id': uuidutils.generate_uuid(), 'project_id': project_id,
            'stack_user_project_id': None,
            'server_id': 'server-%d' % (n % SERVERS),
            'config_id': config_id, 'input_values': {'n': n},
            'output_values': {'deploy_stdout': 'x' * 200},
            'action': 'CREATE', 'status': 'COMPLETE',
            'status_reason': 'Outputs received', 'created_at': created,
            'updated_at': created + datetime.timedelta(seconds=30),
            'served_revision': 0})
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(models.SoftwareConfig.__table__.insert(),
                               configs)
            connection.execute(models.SoftwareDeployment.__table__.insert(),
                               deployments)
            # Usage equal to the rows: the project is exactly at its quota.
            connection.execute(models.QuotaUsage.__table__.insert(), [
                {'project_id': project_id, 'resource': resource,
                 'in_use': COUNT}
                for resource in (quotas.CONFIGS, quotas.DEPLOYMENTS)])
    finally:
        engine.dispose()
    return configs, deployments


class _FullProject(base.FunctionalTestCase):
    """A server, and a project holding COUNT configs and deployments."""

    EXTRA_CONF = ''

    @classmethod
    def setUpClass(cls):
        super(base.FunctionalTestCase, cls).setUpClass()
        cls.server = base.ServerFixture(extra_conf=cls.EXTRA_CONF)
        cls.server.setUp()
        cls.project_id = clients_base.new_project()
        try:
            cls.configs, cls.deployments = seed(cls.server.conf.db_url,
                                                cls.project_id)
        except Exception:
            cls.server.cleanUp()
            raise

    def sdk(self):
        """openstacksdk on the project's endpoint, with admin_token.

        noauth makes the caller a member of the URL's project.
        """
        return openstack.connect(
            auth_type='admin_token',
            auth={'endpoint': self.server.project_endpoint(self.project_id),
                  'token': 'any-token'},
            load_envvars=False, load_yaml_config=False)

    def config_ids(self):
        """The configs' ids newest first, as listed."""
        return [c['id'] for c in sorted(
            self.configs, key=lambda c: (c['created_at'], c['id']),
            reverse=True)]

    def deployment_ids(self, server_id=None):
        """The deployments' ids oldest first, as listed."""
        return [d['id'] for d in sorted(
            self.deployments, key=lambda d: (d['created_at'], d['id']))
            if server_id in (None, d['server_id'])]


class SdkFullListTest(_FullProject):
    """No limit sent: one answer with every row (streamed)."""

    def test_sdk_lists_every_config(self):
        listed = [c.id for c in self.sdk().orchestration.software_configs()]
        self.assertEqual(COUNT, len(listed))
        self.assertEqual(self.config_ids(), listed)

    def test_sdk_lists_every_deployment(self):
        conn = self.sdk()
        listed = [d.id for d in conn.orchestration.software_deployments()]
        self.assertEqual(COUNT, len(listed))
        self.assertEqual(self.deployment_ids(), listed)
        # Filtered on the client: the first server has 1,366.
        on_server = [d.id for d in conn.orchestration.software_deployments(
            server_id='server-0')]
        self.assertEqual(-(-COUNT // SERVERS), len(on_server))
        self.assertEqual(self.deployment_ids('server-0'), on_server)

    def test_heatclient_lists_everything(self):
        hc = self.heat(self.project_id)
        configs = [c.id for c in hc.software_configs.list()]
        self.assertEqual(self.config_ids(), configs)
        deployments = [d.id for d in hc.software_deployments.list()]
        self.assertEqual(self.deployment_ids(), deployments)
        on_server = [d.id for d in hc.software_deployments.list(
            server_id='server-1')]
        self.assertEqual(self.deployment_ids('server-1'), on_server)

    def test_project_is_at_its_quota(self):
        # The seeded usage is consistent: the next config is refused.
        response = self.server.request(
            'POST', '/v1/%s/software_configs' % self.project_id,
            body=b'{"name": "one-more", "group": "script", "config": "x"}',
            headers={'Content-Type': 'application/json'})
        self.assertEqual(400, response.status, response.body)
        self.assertIn(b'RequestLimitExceeded', response.body)


class SdkFollowsNextLinksTest(_FullProject):
    """``[api] max_limit`` 300: pages asked for are cut, with next links."""

    MAX_LIMIT = 300
    EXTRA_CONF = '[api]\nmax_limit = %d\n' % MAX_LIMIT

    def test_sdk_follows_config_links(self):
        conn = self.sdk()
        listed = [c.id for c in conn.orchestration.software_configs(
            limit=1000)]
        self.assertEqual(self.config_ids(), listed)

    def test_sdk_follows_deployment_links(self):
        conn = self.sdk()
        listed = [d.id for d in conn.orchestration.software_deployments(
            limit=1000)]
        self.assertEqual(self.deployment_ids(), listed)
        on_server = [d.id for d in conn.orchestration.software_deployments(
            server_id='server-2', limit=500)]
        self.assertEqual(self.deployment_ids('server-2'), on_server)

    def test_pages_link_to_the_next(self):
        path = '/v1/%s/software_deployments?limit=1000' % self.project_id
        pages = 0
        seen = []
        while path:
            response = self.server.request('GET', path)
            self.assertEqual(200, response.status)
            body = json.loads(response.body)
            seen.extend(d['id'] for d in body['software_deployments'])
            pages += 1
            links = body.get('software_deployments_links')
            if links is None:
                self.assertNotIn('Link', response.headers)
                path = None
            else:
                href = links[0]['href']
                self.assertEqual('<%s>; rel="next"' % href,
                                 response.headers['Link'])
                self.assertTrue(href.startswith(self.server.url))
                path = href[len(self.server.url):]
        self.assertEqual(-(-COUNT // self.MAX_LIMIT), pages)
        self.assertEqual(self.deployment_ids(), seen)

    def test_heatclient_still_gets_everything(self):
        hc = self.heat(self.project_id)
        self.assertEqual(COUNT, len(hc.software_configs.list()))
        self.assertEqual(COUNT, len(hc.software_deployments.list()))
