"""Who may do what: a policy check on every route.

See doc/source/contributor/behaviour.rst, behaviour-policy.
"""

import ddt

from deploysvc.api.controllers import v1
from deploysvc.policies import software_configs as sc_policies
from deploysvc.policies import software_deployment_groups as sg_policies
from deploysvc.policies import software_deployments as sd_policies
from deploysvc import policy
from deploysvc.tests.unit.api import rbac_base

# -- every route is protected by a registered policy rule ------------------

# (controller class, HTTP method) -> [(path under /v1/{tenant_id}, rule)]
PROTECTED = {
    ('ConfigsController', 'GET'): [
        ('/software_configs', sc_policies.INDEX),
        ('/software_configs?global_tenant=true', sc_policies.INDEX)],
    ('ConfigsController', 'POST'): [
        ('/software_configs', sc_policies.CREATE)],
    ('ConfigController', 'GET'): [
        ('/software_configs/{config_id}', sc_policies.SHOW),
        ('/software_configs/no-such-config', sc_policies.SHOW)],
    ('ConfigController', 'DELETE'): [
        ('/software_configs/{config_id}', sc_policies.DELETE)],
    ('DeploymentsController', 'GET'): [
        ('/software_deployments', sd_policies.INDEX),
        ('/software_deployments?server_id=' + rbac_base.SERVER,
         sd_policies.INDEX)],
    ('DeploymentsController', 'POST'): [
        ('/software_deployments', sd_policies.CREATE)],
    ('DeploymentController', 'GET'): [
        ('/software_deployments/{deployment_id}', sd_policies.SHOW),
        ('/software_deployments/no-such-deployment', sd_policies.SHOW)],
    ('DeploymentController', 'PUT'): [
        ('/software_deployments/{deployment_id}', sd_policies.UPDATE)],
    ('DeploymentController', 'DELETE'): [
        ('/software_deployments/{deployment_id}', sd_policies.DELETE)],
    ('ServerMetadataController', 'GET'): [
        ('/software_deployments/metadata/' + rbac_base.SERVER,
         sd_policies.METADATA),
        ('/software_deployments/metadata/no-such-server',
         sd_policies.METADATA)],
    ('ValidateController', 'POST'): [
        ('/validate', sc_policies.VALIDATE)],
    # The agent capability URLs of a server (deploysvc's own API).
    ('ServerAgentController', 'GET'): [
        ('/server_agents/' + rbac_base.SERVER, 'server_agents:show')],
    ('ServerAgentController', 'POST'): [
        ('/server_agents/' + rbac_base.SERVER, 'server_agents:rotate')],
    ('ServerAgentController', 'DELETE'): [
        ('/server_agents/' + rbac_base.SERVER, 'server_agents:delete')],
    # A deployment's history (signals, status changes).
    ('EventsController', 'GET'): [
        ('/software_deployments/{deployment_id}/events', sd_policies.EVENTS),
        ('/software_deployments/no-such-deployment/events',
         sd_policies.EVENTS)],
    # A signal with a token (members, and the stack users of the project
    # a deployment names).
    ('SignalController', 'POST'): [
        ('/software_deployments/{deployment_id}/signal', sd_policies.SIGNAL),
        ('/software_deployments/no-such-deployment/signal',
         sd_policies.SIGNAL)],
    # Cancel an IN_PROGRESS deployment (behaviour-deadlines).
    ('CancelController', 'POST'): [
        ('/software_deployments/{deployment_id}/cancel', sd_policies.CANCEL),
        ('/software_deployments/no-such-deployment/cancel',
         sd_policies.CANCEL)],
    # Heat routes GET .../software_deployments/metadata to "show deployment
    # 'metadata'", which checks software_deployments:show before its 404.
    ('MetadataController', 'GET'): [
        ('/software_deployments/metadata', sd_policies.SHOW)],
    # Deployment groups (fleet rollouts).
    ('GroupsController', 'GET'): [
        ('/software_deployment_groups', sg_policies.INDEX)],
    ('GroupsController', 'POST'): [
        ('/software_deployment_groups', sg_policies.CREATE)],
    ('GroupController', 'GET'): [
        ('/software_deployment_groups/no-such-group', sg_policies.SHOW)],
    ('GroupController', 'DELETE'): [
        ('/software_deployment_groups/no-such-group', sg_policies.DELETE),
        ('/software_deployment_groups/no-such-group?force=true',
         sg_policies.DELETE)],
    ('GroupCancelController', 'POST'): [
        ('/software_deployment_groups/no-such-group/cancel',
         sg_policies.CANCEL)],
    ('GroupDeploymentsController', 'GET'): [
        ('/software_deployment_groups/no-such-group/deployments',
         sg_policies.DEPLOYMENTS)],
    ('GroupEventsController', 'GET'): [
        ('/software_deployment_groups/no-such-group/events',
         sg_policies.EVENTS)],
}
BODIES = {
    'POST /software_configs': {'name': 'x'},
    'POST /software_deployments': {'config_id': '{config_id}',
                                   'server_id': rbac_base.SERVER},
    'PUT /software_deployments/{deployment_id}': {'status': 'COMPLETE'},
    'POST /validate': {'template': rbac_base.TEMPLATE},
    'POST /software_deployments/{deployment_id}/signal': {},
    'POST /software_deployments/{deployment_id}/cancel': {},
    'POST /software_deployment_groups': {'config_id': '{config_id}',
                                         'servers': [rbac_base.SERVER]},
    'POST /software_deployment_groups/no-such-group/cancel': {},
}


@ddt.ddt
class TestEveryRouteIsProtected(rbac_base.SeededTestCase):
    """A role-less user of the URL's project is refused everywhere."""

    def routes(self):
        """(controller, HTTP method) of every route of the API.

        The route list is ``v1.ROUTES``, the router itself; the methods of
        a route are those its ``OPTIONS`` answer allows.
        """
        found = set()
        for shape, controller in v1.ROUTES.items():
            path = ''.join('/' + ('an-id' if word == '*' else word)
                           for word in shape)
            response = self.request('OPTIONS', self.url(path), status=204)
            for method in response.headers['Allow'].split(','):
                found.add((controller.__name__, method.strip()))
        return found

    def test_table_is_complete(self):
        routes = self.routes()
        self.assertIn(('DeploymentController', 'PUT'), routes)
        self.assertEqual(set(PROTECTED), routes,
                         'Every API route needs a row in PROTECTED (and '
                         'a policy check).')

    def _assert_protected(self, method, path, rule):
        self.assertIn(rule, policy.init().registered_rules)
        key = '%s %s' % (method, path)
        body = BODIES.get(key)
        if body is not None:
            body = dict((k, self.fill(v) if isinstance(v, str) else v)
                        for k, v in body.items())
        response = self.request(method, self.url(self.fill(path)),
                                body=body,
                                headers=self.headers(roles=''))
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use %s.' % rule)

    @ddt.data(*sorted(PROTECTED))
    @ddt.unpack
    def test_handler_is_protected(self, cls_name, method):
        for path, rule in PROTECTED[(cls_name, method)]:
            self._assert_protected(method, path, rule)
