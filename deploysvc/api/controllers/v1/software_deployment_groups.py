"""/v1/{tenant_id}/software_deployment_groups: fleet rollouts.

See doc/source/user/deployment-groups.rst.
"""

from oslo_config import cfg
import pecan

from deploysvc.api.controllers import util
from deploysvc.api import idempotent
from deploysvc.api import schemas
from deploysvc.api import validation
from deploysvc.db import deployment_groups
from deploysvc.db import groups
from deploysvc import exception
from deploysvc.policies import software_deployment_groups as policies
from deploysvc import views


def _body(row, admin):
    """The body of a group's show, cancel and create."""
    return {'software_deployment_group': views.deployment_group(row, admin)}


def _status(params, allowed):
    status = params.get('status') or None
    if status is not None and status not in allowed:
        raise exception.BadRequest(
            message='Invalid status filter %s: use one of %s.' % (
                status, ', '.join(allowed)))
    return status


class GroupsController(util.Controller):
    """/software_deployment_groups: GET (list), POST (create)."""

    @util.handles('GET', policies.INDEX)
    def list(self, context):
        params = pecan.request.GET
        status = _status(params, groups.STATUSES)
        marker = params.get('marker') or None
        admin = context.is_admin

        def fetch(limit, after):
            return deployment_groups.page(context, status, limit, marker,
                                          after)
        return util.respond_list(
            'software_deployment_groups',
            lambda row: views.deployment_group(row, admin), fetch,
            util.list_limit(params))

    @util.handles('POST', policies.CREATE)
    def create(self, context):
        body = schemas.deployment_group_create.validate(
            validation.parse_body(pecan.request))
        servers = schemas.group_servers(body['servers'])
        values = dict(
            (key, body.get(key)) for key in (
                'config_id', 'input_values', 'action', 'timeout',
                'delivery_timeout'))
        values['max_concurrency'] = body.get('max_concurrency', 1)
        values['max_errors'] = body.get('max_errors', 0)
        admin = context.is_admin
        group_id, status, data = idempotent.create(
            context, 'software_deployment_group', body,
            lambda then: deployment_groups.create(
                context, values, servers,
                limit=cfg.CONF.max_software_deployments_per_tenant,
                then=then),
            lambda row: _body(row, admin))
        pecan.response.location = '/'.join((pecan.request.path_url,
                                            group_id))
        return util.respond_json(data, status)


class GroupController(util.Controller):
    """/software_deployment_groups/{group_id}: GET, DELETE."""

    ids = ('group_id',)

    @util.handles('GET', policies.SHOW)
    def show(self, context):
        row = deployment_groups.get(context, self.group_id)
        return util.respond(_body(row, context.is_admin))

    @util.handles('DELETE', policies.DELETE)
    def delete(self, context):
        force = util.bool_param(pecan.request.GET, 'force')
        deployment_groups.delete(context, self.group_id, force=force)
        return util.no_content()


class GroupCancelController(util.Controller):
    """/software_deployment_groups/{group_id}/cancel: POST."""

    ids = ('group_id',)

    @util.handles('POST', policies.CANCEL)
    def cancel(self, context):
        row = deployment_groups.cancel(context, self.group_id)
        return util.respond(_body(row, context.is_admin))


class GroupDeploymentsController(util.Controller):
    """/software_deployment_groups/{group_id}/deployments: GET."""

    ids = ('group_id',)

    @util.handles('GET', policies.DEPLOYMENTS)
    def list(self, context):
        params = pecan.request.GET
        status = _status(params, schemas.STATUSES)
        marker = params.get('marker') or None
        admin = context.is_admin

        def fetch(limit, after):
            return deployment_groups.children(
                context, self.group_id, status, limit, marker, after)
        return util.respond_list(
            'software_deployments',
            lambda row: views.deployment(row, admin), fetch,
            util.list_limit(params))


class GroupEventsController(util.Controller):
    """/software_deployment_groups/{group_id}/events: GET."""

    ids = ('group_id',)

    @util.handles('GET', policies.EVENTS)
    def list(self, context):
        return util.respond_history(
            lambda limit, marker: deployment_groups.history(
                context, self.group_id, limit, marker),
            views.deployment_group_event)
