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


# What an alias-free template of n characters can hold is at most about
# n nodes ("{a,b,c}": one per character); aliases may not make a template
# bigger than that, plus this many nodes.  Unbounded, 7 nested levels of
# aliases in 398 bytes expanded to 25 MB in 0.6 s, 9 levels to ~2 GB.
_SPARE_NODES = 10000


class _TemplateTooBig(yaml.YAMLError):
    pass


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded in depth and in expanded size.

    Composing a node recurses (500 levels of flow nesting was a 500
    RecursionError): at most ``validation.MAX_DEPTH`` levels, as a JSON
    body.  Every node counts once, and every alias as many nodes as the
    one it names (its expanded size), so the count is the size of the
    document once aliases are expanded; past the budget, or on an alias
    to a node that contains it (a recursive document), loading stops.
    """

    def __init__(self, stream, budget):
        super().__init__(stream)
        self._budget = budget
        self._sizes = {}
        # Nodes composed so far below each node being composed.
        self._counts = [0]

    def compose_node(self, parent, index):
        alias = self.check_event(yaml.AliasEvent)
        if len(self._counts) > validation.MAX_DEPTH:
            raise _TemplateTooBig('nested more than %d levels deep'
                                  % validation.MAX_DEPTH)
        self._counts.append(0)
        try:
            node = super().compose_node(parent, index)
        finally:
            below = self._counts.pop()
        if alias:
            size = self._sizes.get(id(node))
            if size is None:
                raise _TemplateTooBig('an alias refers to a node that '
                                      'contains it')
        else:
            size = below + 1
            self._sizes[id(node)] = size
        self._counts[-1] += size
        self._budget -= size if alias else 1
        if self._budget < 0:
            raise _TemplateTooBig('its aliases expand it to too many nodes')
        return node


def _load_yaml(text):
    loader = _BoundedLoader(text, len(text) + _SPARE_NODES)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


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
            template = _load_yaml(template)
        except (yaml.YAMLError, ValueError, OverflowError) as e:
            # ValueError: a value the constructor cannot make, such as an
            # integer of more than 4,300 digits or a date of month 13.
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


class ValidateController(util.Controller):

    @util.handles('POST', policies.VALIDATE)
    def validate(self, context):
        body = validation.parse_body(pecan.request)
        return util.respond(validate_template(_template(body)))
