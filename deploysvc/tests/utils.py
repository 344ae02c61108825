"""Factories for test data, through the DB API, and a thread runner."""

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


def get_test_deployment(**kw):
    values = {
        'server_id': 'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5',
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
