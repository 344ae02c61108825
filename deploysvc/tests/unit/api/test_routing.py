"""The route table (v1.ROUTES) and Pecan's object walk it stands in for."""

from unittest import mock

import ddt
import pecan.routing

from deploysvc.api.controllers import root
from deploysvc.api.controllers import v1
from deploysvc.api.controllers.v1 import server_agents
from deploysvc.api.controllers.v1 import software_configs
from deploysvc.api.controllers.v1 import software_deployments
from deploysvc.api.controllers.v1 import validate
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests.unit.api import base as api_base
from deploysvc.tests import utils

# Path below /v1/{tenant_id} -> (controller class, its id) of the table.
SHAPES = {
    'software_configs': (software_configs.ConfigsController, None),
    'software_configs/c-1': (software_configs.ConfigController, 'c-1'),
    'software_deployments': (software_deployments.DeploymentsController,
                             None),
    'software_deployments/d-1': (software_deployments.DeploymentController,
                                 'd-1'),
    'software_deployments/d-1/events': (
        software_deployments.EventsController, 'd-1'),
    'software_deployments/metadata/s-1': (
        software_deployments.ServerMetadataController, 's-1'),
    'validate': (validate.ValidateController, None),
    'server_agents/s-1': (server_agents.ServerAgentController, 's-1'),
    'server_agents/show': (server_agents.ServerAgentController, 'show'),
    # An id that is a word of another route is still an id...
    'software_deployments/events': (
        software_deployments.DeploymentController, 'events'),
    'software_deployments/metadata/events': (
        software_deployments.ServerMetadataController, 'events'),
    'software_configs/software_deployments': (
        software_configs.ConfigController, 'software_deployments'),
    # ...and so is a word starting with "_", even one naming an attribute
    # (the walk would take _lookup or __class__ for the handler: a 500).
    'software_configs/__class__': (software_configs.ConfigController,
                                   '__class__'),
    'software_configs/_lookup': (software_configs.ConfigController,
                                 '_lookup'),
    'software_deployments/_lookup/events': (
        software_deployments.EventsController, '_lookup'),
    'software_deployments/metadata/_lookup': (
        software_deployments.ServerMetadataController, '_lookup'),
    'server_agents/_lookup': (server_agents.ServerAgentController,
                              '_lookup'),
    # ...but one that names something on its controller is not (below).
}

# Paths (below /v1/{tenant_id}) the table leaves to the object walk.
WALKED = [
    '', 'nothing', 'software_configs/', 'software_configs//x',
    'software_configs/c-1/', 'software_configs/c-1/x',
    'software_configs/index', 'software_configs/list',
    'software_deployments/metadata', 'software_deployments/metadata/',
    'software_deployments/metadata/index', 'software_deployments/index',
    'software_deployments/d-1/x', 'software_deployments/d-1/events/',
    'software_deployments/metadata/s/x',
    'server_agents', 'server_agents/',
    'server_agents/s-1/x', 'validate/', 'validate/x', 'validate/index',
]


@ddt.ddt
class TestRouteTable(base.TestCase):

    def route(self, path, tenant=base.PROJECT, context=None):
        segments = [tenant] + path.split('/')
        return v1.route(segments, context or self.context)

    @ddt.data(*sorted(SHAPES))
    def test_shape(self, path):
        cls, item_id = SHAPES[path]
        handler, remainder = self.route(path)
        self.assertEqual((), remainder)
        self.assertIsInstance(handler.__self__, cls)
        self.assertEqual('index', handler.__name__)
        self.assertTrue(handler._pecan['generic'])
        for name in ('config_id', 'deployment_id', 'server_id'):
            if hasattr(handler.__self__, name):
                self.assertEqual(item_id, getattr(handler.__self__, name))
                break
        else:
            self.assertIsNone(item_id)

    @ddt.data(*WALKED)
    def test_left_to_the_walk(self, path):
        self.assertIsNone(self.route(path))

    @ddt.data('', '_lookup', '__class__')
    def test_tenant_segment_naming_something_is_walked(self, tenant):
        self.assertIsNone(self.route('software_configs', tenant=tenant))

    def test_foreign_tenant_is_forbidden(self):
        self.assertRaises(exception.TenantForbidden, self.route,
                          'software_configs', tenant=base.OTHER_PROJECT)

    def test_admin_may_name_any_tenant(self):
        admin = self.make_context(roles=('admin',))
        handler, _ = self.route('software_deployments/d-1',
                                tenant=base.OTHER_PROJECT, context=admin)
        self.assertEqual('d-1', handler.__self__.deployment_id)

    def test_no_shape_no_tenant_check(self):
        # Unknown paths of a foreign tenant are the walk's to answer.
        self.assertIsNone(self.route('nothing', tenant=base.OTHER_PROJECT))

    def test_table_fits_the_controllers(self):
        # Each fixed word of a shape is an attribute of the controller
        # before it: the table follows the tree the walk knows.
        for shape in v1.ROUTES:
            node = v1.TenantController()
            for word in shape:
                if word == '*':
                    break
                node = getattr(node, word)


@ddt.ddt
class TestRootRoute(api_base.ApiTestCase):
    """Requests resolve in one step, or exactly as the walk resolves them."""

    def setUp(self):
        super().setUp()
        config = utils.create_test_config(self.context)
        deployment = utils.create_test_deployment(self.context,
                                                  config_id=config.id)
        self.ids = {'config': config.id, 'deployment': deployment.id,
                    'server': deployment.server_id}

    def walks(self):
        return mock.patch.object(pecan.routing, 'lookup_controller',
                                 wraps=pecan.routing.lookup_controller)

    @ddt.data('/software_configs', '/software_configs/{config}',
              '/software_deployments', '/software_deployments/{deployment}',
              '/software_deployments/{deployment}/events',
              '/software_deployments/metadata/{server}')
    def test_known_urls_need_no_walk(self, path):
        with self.walks() as walk:
            response = self.get(path.format(**self.ids), status=200)
        walk.assert_not_called()
        self.assertEqual('application/json', response.content_type)

    @ddt.data('/versions', '/v2/x/software_configs')
    def test_versions_need_no_walk(self, path):
        with self.walks() as walk:
            self.request('GET', path, status=300)
        walk.assert_not_called()

    @ddt.data('/software_configs/', '/nothing',
              '/software_deployments/metadata')
    def test_other_urls_are_walked(self, path):
        with self.walks() as walk:
            self.get(path, status=404)
        self.assertIsInstance(walk.call_args_list[0][0][0],
                              root.WalkController)

    def _answer(self, path, method, headers):
        response = self.app.request(path, method=method, headers=headers,
                                    expect_errors=True)
        # Request ids differ; everything else must not.
        return (response.status, response.body, [
            h for h in response.headerlist
            if h[0].lower() != 'x-openstack-request-id'])

    def test_same_answers_as_the_walk(self):
        paths = ['/', '/versions', '/v1', '/v1/', '/index', '/v1/x/', '/v2']
        for prefix in ('/v1/%s/' % self.project_id,
                       '/v1.0/%s/' % base.OTHER_PROJECT):
            paths += [prefix + p.replace('c-1', self.ids['config'])
                      .replace('d-1', self.ids['deployment'])
                      .replace('s-1', self.ids['server'])
                      for p in sorted(SHAPES) + WALKED
                      if not any(v1.private(w) for w in p.split('/'))]
        identities = (self.headers(), self.headers(roles='admin'),
                      self.headers(roles=''))
        # No method that could change anything.
        for method in ('GET', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'):
            for path in paths:
                for headers in identities:
                    fast = self._answer(path, method, headers)
                    with mock.patch.object(v1, 'route', return_value=None):
                        walked = self._answer(path, method, headers)
                    self.assertEqual(walked, fast, (method, path, headers))


@ddt.ddt
class TestPecanHooksInUrls(api_base.ApiTestCase):
    """A URL naming _lookup, _default or _route is a 4xx, never a 500."""

    @ddt.data(*[p + s for p in (
        'software_configs/_lookup', 'software_deployments/_lookup',
        'software_deployments/_lookup/events', 'software_deployments/_route',
        'software_deployments/metadata/_lookup', 'server_agents/_lookup',
        'software_configs/_default', '_lookup', 'validate/_lookup',
        'software_deployments/_lookup/x', 'software_configs/__class__',
        '__class__', 'software_deployments/__init__/events',
        'validate/__dict__') for s in ('', '/')])
    def test_hook_names(self, path):
        for method in ('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS'):
            response = self.app.request(
                self.url('/' + path), method=method, headers=self.headers(),
                expect_errors=True)
            self.assertLess(response.status_int, 500, (method, path))
            if response.status_int >= 400:
                self.assertError(response, response.status_int,
                                 response.json['error']['type'])

    def test_hook_name_is_an_id(self):
        self.assertError(self.get('/software_configs/_lookup', status=404),
                         404, 'NotFound',
                         'Software config with id _lookup not found')
