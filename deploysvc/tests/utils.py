"""Test data: factories through the DB API, HTTP helpers, a thread runner.

The HTTP helpers (``HttpHelpers``) are the one definition of "create a
config / a deployment through the API", shared by the API tests (webtest)
and the functional tests (real servers, real tokens).
"""

import threading

from deploysvc.db import configs
from deploysvc.db import deployments


def get_test_config(**kw):
    values = {
        'name': 'a-config',
        'group': 'script',
        'config': '#!/bin/sh\necho hello',
        'inputs': [{'name': 'foo', 'type': 'String'}],
        'outputs': [{'name': 'result', 'type': 'String',
                     'error_output': False}],
        'options': {},
    }
    values.update(kw)
    return values


def create_test_config(context, **kw):
    return configs.create(context, get_test_config(**kw))


SERVER = 'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5'


def get_test_deployment(**kw):
    values = {
        'server_id': SERVER,
        'input_values': {},
        'action': 'CREATE',
        'status': 'IN_PROGRESS',
        'status_reason': 'Deploy data available',
        'stack_user_project_id': None,
    }
    values.update(kw)
    return values


def create_test_deployment(context, config_id=None, **kw):
    if config_id is None:
        config_id = create_test_config(context).id
    return deployments.create(
        context, get_test_deployment(config_id=config_id, **kw))


def config_body(**kw):
    """The body of a config create request: a script, and ``kw``."""
    body = {'name': 'cfg', 'group': 'script', 'config': 'echo hi'}
    body.update(kw)
    return body


def deployment_body(config_id, server_id=SERVER, **kw):
    """The body of a deployment create request: CREATE, IN_PROGRESS."""
    body = {'config_id': config_id, 'server_id': server_id,
            'action': 'CREATE', 'status': 'IN_PROGRESS'}
    body.update(kw)
    return body


class HttpHelpers(object):
    """Mixin: create configs and deployments through the test's API client.

    The test class defines ``post_json(path, body, **where)``: one POST to
    ``/v1/<project><path>`` that asserts 200 and returns the decoded body.
    The keywords named in ``WHERE`` (the caller: a project, an identity)
    go to ``post_json``; the others are fields of the request body, over
    the class's ``config_defaults`` / ``deployment_defaults``.
    """

    WHERE = ()
    config_defaults = {}
    deployment_defaults = {}

    def _where(self, fields):
        return dict((key, fields.pop(key)) for key in self.WHERE
                    if key in fields)

    def create_config(self, **fields):
        """The created config (the response's ``software_config``)."""
        where = self._where(fields)
        body = config_body(**dict(self.config_defaults, **fields))
        return self.post_json('/software_configs', body,
                              **where)['software_config']

    def create_deployment(self, config_id=None, server_id=None, **fields):
        """The created deployment; of a new config when no ``config_id``."""
        where = self._where(fields)
        if config_id is None:
            config_id = self.create_config(**where)['id']
        fields = dict(self.deployment_defaults, **fields)
        if server_id is not None:
            fields['server_id'] = server_id
        body = deployment_body(config_id, **fields)
        return self.post_json('/software_deployments', body,
                              **where)['software_deployment']


def run_concurrently(count, func, timeout=60):
    """Run ``func(i)`` for i < count in threads released together.

    Returns one ``('ok', result)`` or ``('error', exception)`` per thread,
    in order; a thread still running after ``timeout`` seconds fails.
    """
    barrier = threading.Barrier(count, timeout=timeout)
    results = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = ('ok', func(i))
        except Exception as e:
            results[i] = ('error', e)

    threads = [threading.Thread(target=target, args=(i,))
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        if thread.is_alive():
            raise AssertionError('a thread is still running after %ss'
                                 % timeout)
    return results
