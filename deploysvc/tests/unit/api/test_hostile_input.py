"""Hostile input to the API is a clear 400, never a 500 (issue 10).

Strings no database can store (NUL, unpaired surrogates) in bodies, paths
and queries; bodies nested too deep; odd integers and identities; YAML
templates that nest or expand without bound; and what a 500 and the
version document look like.  Each table is one behaviour; every request
also asserts that no 500 happens (``base.ApiTestCase.request``).
"""

import json

import ddt

from deploysvc.api import validation
from deploysvc.tests.unit.api import base

BAD = 'HTTPBadRequest'
LONE = 'a\ud800b'
NUL = 'a\x00b'
# A valid pair: one character (U+1F600) for Python, storable everywhere.
PAIR = '\ud83d\ude00'


def nested(depth):
    """JSON text of ``depth`` levels of lists (json.dumps would recurse)."""
    return '[' * depth + 'null' + ']' * depth


@ddt.ddt
class TestUnstorableBody(base.ApiTestCase):
    """A NUL or an unpaired surrogate anywhere in a body: 400, by path."""

    def setUp(self):
        super().setUp()
        self.config = self.create_config(
            outputs=[{'name': 'result'}])
        self.deployment = self.create_deployment(self.config['id'])

    def send(self, kind, body):
        if kind == 'config':
            return self.post('/software_configs', body, status=400)
        if kind == 'deployment':
            body = dict({'config_id': self.config['id'],
                         'server_id': 'server'}, **body)
            return self.post('/software_deployments', body, status=400)
        if kind == 'update':
            return self.put('/software_deployments/' + self.deployment['id'],
                            body, status=400)
        return self.post('/validate', {'template': body}, status=400)

    @ddt.data(
        ('config', {'name': LONE}, 'name'),
        ('config', {'group': NUL}, 'group'),
        ('config', {'config': 'echo ' + NUL}, 'config'),
        ('config', {'inputs': [{'name': LONE}]}, 'inputs.0.name'),
        ('config', {'options': {LONE: 1}}, 'options.' + LONE),
        ('config', {'options': {'a': [[{'b': NUL}]]}}, 'options.a.0.0.b'),
        ('deployment', {'server_id': NUL}, 'server_id'),
        ('deployment', {'config_id': LONE}, 'config_id'),
        ('deployment', {'action': LONE}, 'action'),
        ('deployment', {'status_reason': NUL}, 'status_reason'),
        ('deployment', {'stack_user_project_id': LONE},
         'stack_user_project_id'),
        ('deployment', {'input_values': {'x': NUL}}, 'input_values.x'),
        ('update', {'status_reason': LONE}, 'status_reason'),
        ('update', {'output_values': {NUL: 1}}, 'output_values.ab'),
        ('update', {'config_id': NUL}, 'config_id'),
        ('validate', {'description': LONE}, 'template.description'),
    )
    @ddt.unpack
    def test_refused(self, kind, body, where):
        response = self.send(kind, body)
        message = self.assertError(response, 400, BAD)['error']['message']
        self.assertTrue(message.startswith('"%s" has a character'
                                           % where.replace('\x00', '')),
                        message)

    @ddt.data('name', 'group', 'config')
    def test_surrogate_pair_is_a_character(self, field):
        created = self.create_config(**{field: 'x' + PAIR})
        shown = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual('x\U0001F600', shown.json['software_config'][field])

    def test_escaped_text_without_nul_is_stored(self):
        created = self.create_config(config='tab\there \\u0000 \u00e9')
        self.assertEqual('tab\there \\u0000 \u00e9', created['config'])


@ddt.ddt
class TestDepth(base.ApiTestCase):
    """Nesting beyond MAX_DEPTH is 400 (960-990 levels used to be 500)."""

    @ddt.data(validation.MAX_DEPTH, validation.MAX_DEPTH + 1, 500, 970,
              980, 5000)
    def test_config_options(self, depth):
        # The body itself is one level, then the options object.
        body = ('{"name": "x", "options": {"a": %s}}'
                % nested(depth - 2)).encode()
        if depth <= validation.MAX_DEPTH:
            self.post('/software_configs', body, status=200)
        else:
            self.assertError(self.post('/software_configs', body), 400, BAD)

    @ddt.data(500, 975, 3000)
    def test_deployment_inputs(self, depth):
        config = self.create_config()
        body = ('{"config_id": "%s", "server_id": "s", "input_values": '
                '{"a": %s}}' % (config['id'], nested(depth))).encode()
        self.assertError(self.post('/software_deployments', body), 400, BAD)

    def test_many_brackets_in_strings_are_not_depth(self):
        script = '[ -f x ] && [ -f y ]\n' * 200
        self.assertEqual(script, self.create_config(config=script)['config'])


@ddt.ddt
class TestUnstorablePathAndQuery(base.ApiTestCase):
    """%00 in a path segment or a query value: 400 before any lookup."""

    @ddt.data(
        ('GET', '/software_configs/x%00'),
        ('DELETE', '/software_configs/x%00'),
        ('GET', '/software_deployments/x%00'),
        ('PUT', '/software_deployments/x%00'),
        ('DELETE', '/software_deployments/x%00'),
        ('GET', '/software_deployments/x%00/events'),
        ('GET', '/software_deployments/metadata/x%00'),
        ('GET', '/server_agents/x%00'),
        ('POST', '/server_agents/x%00'),
        ('DELETE', '/server_agents/x%00'),
        ('GET', '/software_configs?marker=%00'),
        ('GET', '/software_configs?marker=a%00b&limit=1'),
        ('GET', '/software_deployments?marker=%00'),
        ('GET', '/software_deployments?server_id=%00'),
        ('GET', '/software_deployments?config_id=x%00'),
        ('GET', '/software_deployments?a%00=1'),
        ('GET', '/software_deployments/x/events?marker=%00'),
    )
    @ddt.unpack
    def test_nul(self, method, path):
        body = {'status': 'COMPLETE'} if method == 'PUT' else None
        response = self.request(method, self.url(path), body=body)
        message = self.assertError(response, 400, BAD)['error']['message']
        self.assertIn('cannot store', message)

    def test_nul_in_the_project_of_the_url(self):
        response = self.request('GET', '/v1/p%00/software_configs',
                                headers={})
        self.assertError(response, 400, BAD)

    @ddt.data('/software_configs/x%ED%A0%80',
              '/software_configs?marker=%ED%A0%80')
    def test_surrogate_is_not_utf8(self, path):
        self.assertError(self.get(path), 400, BAD)

    @ddt.data(('/software_configs?marker=%2500', 200),
              ('/software_configs/x%2500', 404))
    @ddt.unpack
    def test_an_escaped_percent_is_no_nul(self, path, status):
        self.get(path, status=status)


@ddt.ddt
class TestOddValues(base.ApiTestCase):

    def setUp(self):
        super().setUp()
        self.deployment = self.create_deployment(status='IN_PROGRESS')

    def events(self, marker):
        return self.get('/software_deployments/%s/events?marker=%s'
                        % (self.deployment['id'], marker))

    @ddt.data(2 ** 63, 2 ** 64, 10 ** 30)
    def test_events_marker_too_large(self, marker):
        self.assertError(self.events(marker), 400, BAD)

    @ddt.data(0, 2 ** 63 - 1)
    def test_events_marker_in_range(self, marker):
        self.assertEqual(200, self.events(marker).status_int)

    @ddt.data('1' * 5000, '-1', 'x')
    def test_events_marker_not_a_small_integer(self, marker):
        self.assertError(self.events(marker), 400, BAD)

    @ddt.data(('project', 64, 200), ('project', 65, 400),
              ('user', 255, 200), ('user', 256, 400))
    @ddt.unpack
    def test_identity_length(self, which, length, status):
        project = 'p' * length if which == 'project' else None
        user = 'u' * length if which == 'user' else None
        headers = self.headers(project_id=project, user_id=user)
        config = self.post('/software_configs', {'name': 'c'},
                           headers=headers, project_id=project)
        self.assertEqual(status, config.status_int, config.text)
        if status == 200:
            # A deployment with a status writes an event naming the user.
            body = {'config_id': config.json['software_config']['id'],
                    'server_id': 's', 'status': 'IN_PROGRESS'}
            self.post('/software_deployments', body, headers=headers,
                      project_id=project, status=200)
        else:
            self.assertError(config, 400, BAD)

    def test_project_too_long_in_the_url_with_noauth(self):
        response = self.request('GET', '/v1/%s/software_configs' % ('p' * 65),
                                headers={})
        self.assertError(response, 400, BAD,
                         'The project id is longer than 64 characters.')


ALIAS_BOMB = '\n'.join(
    ['heat_template_version: 2013-05-23',
     'a0: &a0 [x,x,x,x,x,x,x,x,x]']
    + ['a%d: &a%d [%s]' % (i, i, ','.join(['*a%d' % (i - 1)] * 9))
       for i in range(1, 8)]
    + ['resources: {}'])


@ddt.ddt
class TestValidateYaml(base.ApiTestCase):
    """/validate loads YAML bounded in depth, size and value range."""

    def validate(self, text):
        return self.post('/validate', {'template': text})

    @ddt.data(
        ('flow nesting', 'heat_template_version: 2013-05-23\nx: '
         + '[' * 500 + ']' * 500),
        ('block nesting', 'heat_template_version: 2013-05-23\n' + ''.join(
            '%sk:\n' % (' ' * i) for i in range(200))),
        ('5,000 digits', 'heat_template_version: 2013-05-23\nx: '
         + '9' * 5000),
        ('month 13', 'heat_template_version: 2013-13-45'),
        ('alias bomb', ALIAS_BOMB),
        ('recursive alias', 'heat_template_version: 1\nx: &a [*a]'),
    )
    @ddt.unpack
    def test_refused(self, name, text):
        message = self.assertError(self.validate(text), 400, BAD)[
            'error']['message']
        self.assertTrue(message.startswith('Template not in valid format'),
                        (name, message))

    def test_alias_bomb_is_small(self):
        # a7 alone is 9**8 (43 million) scalars once expanded.
        self.assertLess(len(ALIAS_BOMB), 400)

    def test_ordinary_aliases_still_work(self):
        text = '\n'.join([
            'heat_template_version: 2013-05-23',
            'description: &d shared',
            'resources:',
            '  one: &cfg',
            '    type: OS::Heat::SoftwareConfig',
            '    properties: {group: script, config: echo}',
            '  two: *cfg',
            'outputs: {d: *d}'])
        response = self.validate(text)
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual('shared', response.json['Description'])

    def test_nesting_within_the_bound(self):
        depth = validation.MAX_DEPTH - 2
        text = ('heat_template_version: 2013-05-23\nx: ' + '[' * depth
                + ']' * depth + '\nresources: {r: {type: '
                'OS::Heat::SoftwareConfig}}')
        self.assertEqual(200, self.validate(text).status_int)


@ddt.ddt
class TestJsonAnswers(base.ApiTestCase):
    """Every answer is JSON, or empty with 204/304."""

    @ddt.data('/', '/versions', '/v2')
    def test_options_of_the_version_document(self, path):
        response = self.request('OPTIONS', path, headers={}, status=204)
        self.assertEqual(b'', response.body)
        self.assertNotIn('Content-Type', response.headers)
        self.assertEqual('GET,HEAD', response.headers['Allow'])

    @ddt.data('GET', 'HEAD', 'POST')
    def test_other_methods_get_the_document(self, method):
        response = self.request(method, '/', headers={}, status=300)
        self.assertEqual('application/json', response.content_type)
        if method != 'HEAD':
            self.assertIn('versions', json.loads(response.body))
