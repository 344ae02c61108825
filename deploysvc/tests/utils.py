"""Factories for test data, through the DB API."""

from deploysvc.db import api as db_api


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
    return db_api.config_create(context, get_test_config(**kw))


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
    return db_api.deployment_create(
        context, get_test_deployment(config_id=config_id, **kw))
