"""/v1/{tenant_id}/software_configs"""

from oslo_config import cfg
import pecan

from deploysvc.api.controllers import util
from deploysvc.api import idempotent
from deploysvc.api import schemas
from deploysvc.api import validation
from deploysvc.common import config_io
from deploysvc.db import configs
from deploysvc.db import secrets
from deploysvc.policies import software_configs as policies
from deploysvc import views


def config_values(body):
    """Validated and normalised columns of a config from a request body."""
    body = dict(body)
    # Heat turns falsy options into {} and ignores unknown keys.
    body['options'] = body.get('options') or {}
    schemas.config_create.validate(body)
    return {
        'name': body.get('name'),
        'group': body.get('group'),
        'config': body.get('config'),
        'inputs': config_io.normalize_inputs(body.get('inputs')),
        'outputs': config_io.normalize_outputs(body.get('outputs')),
        'options': body['options'],
    }


class ConfigController(util.Controller):
    """/software_configs/{config_id}: GET, DELETE (configs are immutable)."""

    ids = ('config_id',)

    @util.handles('GET', policies.SHOW)
    def show(self, context):
        row = configs.get(context, self.config_id)
        if context.may(policies.SHOW_SECRETS):
            row = secrets.opened_config(row)
        return util.respond(
            {'software_config': views.config(row, context.is_admin)})

    @util.handles('DELETE', policies.DELETE)
    def delete(self, context):
        configs.delete(context, self.config_id)
        return util.no_content()


class ConfigsController(util.Controller):
    """/software_configs: GET (list), POST (create)."""

    @util.handles('GET', policies.INDEX)
    def list(self, context):
        params = pecan.request.GET
        all_projects = util.bool_param(params, 'global_tenant')
        if all_projects:
            context.can(policies.GLOBAL_INDEX)
        marker = params.get('marker') or None
        admin = context.is_admin or all_projects

        def fetch(limit, after):
            return configs.page(context, limit, marker=marker,
                                all_projects=all_projects, after=after)
        return util.respond_list(
            'software_configs',
            lambda row: views.config_summary(row, admin), fetch,
            util.list_limit(params))

    @util.handles('POST', policies.CREATE)
    def create(self, context):
        body = validation.parse_body(pecan.request)
        values = config_values(body)
        config_id, status, data = idempotent.create(
            context, 'software_config', body,
            lambda then: configs.create(
                context, values,
                limit=cfg.CONF.max_software_configs_per_tenant, then=then),
            lambda row: {'software_config': views.config(
                row, context.is_admin)})
        pecan.response.location = '/'.join((pecan.request.path_url,
                                            config_id))
        return util.respond_json(data, status)
