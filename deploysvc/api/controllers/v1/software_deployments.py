"""/v1/{tenant_id}/software_deployments"""

import uuid

from oslo_config import cfg
from oslo_serialization import jsonutils
import pecan

from deploysvc.agent import signals
from deploysvc.api.controllers import util
from deploysvc.api import idempotent
from deploysvc.api import schemas
from deploysvc.api import validation
from deploysvc.db import configs
from deploysvc.db import deployments
from deploysvc.db import lifecycle
from deploysvc.db import runs
from deploysvc.db import secrets
from deploysvc import exception
from deploysvc.policies import software_deployments as policies
from deploysvc import views

# Fields of a PUT body that are applied (Heat's whitelist).
_UPDATABLE = ('config_id', 'input_values', 'output_values', 'action',
              'status', 'status_reason')
_FILTERS = ('server_id', 'status', 'action', 'config_id')


class MetadataController(util.Controller):
    """/software_deployments/metadata: GET."""

    @util.handles('GET', policies.SHOW)
    def show(self, context):
        # GET .../metadata with no server: Heat routes it to the show of
        # deployment "metadata" (policy check, then 404).
        raise exception.DeploymentNotFound(deployment_id='metadata')


class ServerMetadataController(util.Controller):
    """/software_deployments/metadata/{server_id}: GET."""

    ids = ('server_id',)

    @util.handles('GET', policies.METADATA)
    def show(self, context):
        config_ids, undelivered = deployments.server_config_ids(
            context, self.server_id)
        if undelivered and context.is_stack_user:
            # os-collect-config's heat collector, the in-instance agent
            # of a Heat stack, reads here: its read is the delivery.
            lifecycle.deliver(context, undelivered)
        return util.respond_json(views.server_metadata_json(
            config_ids, configs.by_ids))


class DeploymentController(util.Controller):
    """/software_deployments/{deployment_id}: GET, PUT, DELETE."""

    ids = ('deployment_id',)

    @util.handles('GET', policies.SHOW)
    def show(self, context):
        row = deployments.get(context, self.deployment_id)
        if context.may(policies.SHOW_SECRETS):
            row = secrets.opened_deployment(row)
        return util.respond_tagged(_answer(row, context.is_admin),
                                   conditional=True)

    @util.handles('PUT', policies.UPDATE)
    def update(self, context):
        body = schemas.deployment_update.validate(
            validation.parse_body(pecan.request))
        # PUT is a partial update in Heat: null and falsy values are
        # dropped, so a field can never be cleared through it.
        values = dict((key, body[key]) for key in _UPDATABLE if body.get(key))
        # (Timeouts are ours: 0 means "no deadline", so only null is
        # "leave it".)
        values.update((key, body[key]) for key in runs.FIELDS
                      if body.get(key) is not None)
        admin = context.is_admin

        def refuse():
            raise exception.PreconditionFailed(
                deployment_id=self.deployment_id)
        matches = util.if_match(refuse)
        row = deployments.update(
            context, self.deployment_id, values,
            check=matches and (lambda old: matches(_answer(old, admin))))
        return util.respond_tagged(_answer(row, admin))

    @util.handles('DELETE', policies.DELETE)
    def delete(self, context):
        deployments.delete(context, self.deployment_id)
        return util.no_content()


class EventsController(util.Controller):
    """/software_deployments/{deployment_id}/events: the history."""

    ids = ('deployment_id',)

    @util.handles('GET', policies.EVENTS)
    def list(self, context):
        return util.respond_history(
            lambda limit, marker: deployments.history(
                context, self.deployment_id, limit, marker), views.event)


class SignalController(util.Controller):
    """/software_deployments/{deployment_id}/signal: POST, with a token.

    What the agent sends to its signal URL, for callers with a token: the
    deployment's members, and the stack users of the project it names
    (doc/source/contributor/behaviour.rst, behaviour-visibility).
    """

    ids = ('deployment_id',)

    @util.handles('POST', policies.SIGNAL)
    def signal(self, context):
        request = pecan.request
        details = (validation.parse_body(request) if request.body.strip()
                   else {})
        row, result = signals.send(context, self.deployment_id, details)
        body = {'status': row.status, 'applied': result is not None}
        if result is not None:
            body['event'] = result.event
        return util.respond(body)


class CancelController(util.Controller):
    """/software_deployments/{deployment_id}/cancel: POST."""

    ids = ('deployment_id',)

    @util.handles('POST', policies.CANCEL)
    def cancel(self, context):
        row = lifecycle.cancel(context, self.deployment_id)
        return util.respond_tagged(_answer(row, context.is_admin))


def _list_params(params):
    filters = dict((key, params[key]) for key in _FILTERS if params.get(key))
    if filters.get('status') and filters['status'] not in schemas.STATUSES:
        raise exception.BadRequest(
            message='Invalid status filter %s: use one of %s.' % (
                filters['status'], ', '.join(schemas.STATUSES)))
    sort_key = params.get('sort_key') or 'created_at'
    if sort_key not in deployments.SORT_KEYS:
        raise exception.BadRequest(
            message='Invalid sort_key %s: use one of %s.' % (
                sort_key, ', '.join(deployments.SORT_KEYS)))
    sort_dir = (params.get('sort_dir') or 'asc').lower()
    if sort_dir not in ('asc', 'desc'):
        raise exception.BadRequest(
            message='Invalid sort_dir %s: use asc or desc.' % sort_dir)
    return dict(filters=filters, marker=params.get('marker') or None,
                sort_key=sort_key, sort_dir=sort_dir)


class DeploymentsController(util.Controller):
    """/software_deployments: GET (list), POST (create)."""

    @util.handles('GET', policies.INDEX)
    def list(self, context):
        params = pecan.request.GET
        query = _list_params(params)
        admin = context.is_admin

        def fetch(limit, after):
            return deployments.page(context, limit=limit, after=after,
                                    **query)
        return util.respond_list(
            'software_deployments',
            lambda row: views.deployment(row, admin), fetch,
            util.list_limit(params))

    @util.handles('POST', policies.CREATE)
    def create(self, context):
        body = schemas.deployment_create.validate(
            validation.parse_body(pecan.request))
        values = {
            'id': _deployment_id(body.get('id')),
            'config_id': body['config_id'],
            'server_id': body['server_id'],
            'input_values': body.get('input_values') or {},
            'action': body.get('action'),
            'status': body.get('status'),
            'status_reason': body.get('status_reason'),
            'stack_user_project_id': body.get('stack_user_project_id'),
            'timeout': body.get('timeout'),
            'delivery_timeout': body.get('delivery_timeout'),
        }
        admin = context.is_admin
        deployment_id, status, data = idempotent.create(
            context, 'software_deployment', body,
            lambda then: deployments.create(
                context, values,
                limit=cfg.CONF.max_software_deployments_per_tenant,
                then=then),
            lambda row: {'software_deployment': views.deployment(
                row, admin)})
        pecan.response.location = '/'.join((pecan.request.path_url,
                                            deployment_id))
        return util.respond_tagged(data, status)


def _answer(row, admin):
    """The JSON bytes of a deployment's show, update and create."""
    return jsonutils.dump_as_bytes(
        {'software_deployment': views.deployment(row, admin)})


def _deployment_id(value):
    """A client-chosen deployment id, in the canonical UUID form."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise exception.BadRequest(
            message='Invalid id %s: a UUID is expected.' % value)
