"""/v1/{tenant_id}/validate: templates of OS::Heat::SoftwareConfig only.

``openstack software config create`` validates a one-resource template
before it creates the config; this answers that call (see
doc/source/contributor/behaviour.rst, behaviour-validate).
"""

import pecan
import yaml

from deploysvc.api.controllers import util
from deploysvc.api.controllers.v1 import software_configs
from deploysvc.api import validation
from deploysvc import exception
from deploysvc.policies import software_configs as policies

RESOURCE_TYPE = 'OS::Heat::SoftwareConfig'
_PROPERTIES = ('group', 'config', 'inputs', 'outputs', 'options')
_ONLY = ('only %s resources can be validated by this service'
         % RESOURCE_TYPE)


_VERSION_KEYS = ('heat_template_version', 'HeatTemplateFormatVersion',
                 'AWSTemplateFormatVersion')


def _invalid_template(reason):
    return exception.BadRequest(
        message='Template not in valid format: %s' % reason)


def _template(body):
    """The template of the request, parsed as Heat's validate does."""
    if 'template' not in body:
        if 'template_url' in body:
            raise exception.BadRequest(
                message='"template_url" is not supported by this service: '
                        'send the template in "template".')
        raise exception.BadRequest(message='No template specified')
    template = body['template']
    if isinstance(template, str):
        try:
            template = yaml.safe_load(template)
        except yaml.YAMLError as e:
            raise _invalid_template('Error parsing template: %s' % e)
        if template is None:
            template = {}
    if not isinstance(template, dict):
        raise _invalid_template(
            'The template is not a JSON object or YAML mapping.')
    if not any(key in template for key in _VERSION_KEYS):
        raise _invalid_template('Template format version not found.')
    return template


def validate_template(template):
    """Check every resource as config create would; the Heat result body."""
    resources = template.get('resources')
    if not isinstance(resources, dict) or not resources:
        raise exception.BadRequest(message=_ONLY)
    for name, resource in resources.items():
        if (not isinstance(resource, dict)
                or resource.get('type') != RESOURCE_TYPE):
            raise exception.BadRequest(message=_ONLY)
        properties = resource.get('properties') or {}
        if not isinstance(properties, dict):
            raise exception.BadRequest(
                message='Properties of resource %s must be a map.' % name)
        for key in properties:
            if key not in _PROPERTIES:
                raise exception.BadRequest(
                    message='Unknown Property %s in resource %s.' % (key,
                                                                     name))
        software_configs.config_values(properties)
    return {
        'Description': template.get('description') or 'No description',
        'Parameters': {},
    }


class ValidateController(object):

    @pecan.expose(generic=True)
    def index(self):
        return util.method_not_allowed('POST')

    @index.when(method='POST')
    def validate(self):
        context = pecan.request.context
        context.can(policies.VALIDATE)
        body = validation.parse_body(pecan.request)
        return util.respond(validate_template(_template(body)))
