"""The metadata document served to a server's os-collect-config.

What each deployment becomes: its config with the deployment's
``input_values`` merged into ``inputs[*].value`` and the ``deploy_*`` inputs
the hooks and heat-config-notify read, under an id that changes exactly when
what the agent must run changes (55-heat-config skips ids it has deployed).
The bytes depend only on the stored rows and the URLs, so polls of an
unchanged server are byte-identical.
"""

import hashlib
import json
import uuid

from deploysvc.db import secrets
from deploysvc import views

_ID_NAMESPACE = uuid.UUID('3f1d8c52-6a0e-4f55-9a51-2c1e0b7d9e44')

SIGNAL_TRANSPORT = 'TEMP_URL_SIGNAL'
SIGNAL_VERB = 'PUT'

_DESCRIPTIONS = {
    'deploy_server_id': 'ID of the server being deployed to',
    'deploy_action': 'Name of the current action being deployed',
    'deploy_signal_transport': 'How the server should signal to heat with '
                               'the deployment output values.',
    'deploy_signal_id': 'ID of signal to use for signalling output values',
    'deploy_signal_verb': 'HTTP verb to use for signaling output values',
}


def served_id(deployment):
    """Stable for the whole of a run of the deployment.

    ``served_revision`` is the run: it counts the changes of config,
    inputs and action and the returns to IN_PROGRESS, so a change that
    restores earlier values, or a re-run, still gets an id the agent has
    never deployed (55-heat-config skips ids it has run, forever).
    Secret values are in ``input_values`` as their mask (and their token,
    which may be re-encrypted, is left out): the id does not move with
    a key rotation, and a new secret value is a new run anyway.
    """
    key = json.dumps([deployment.id, deployment.config_id,
                      deployment.input_values or {}, deployment.action,
                      deployment.served_revision], sort_keys=True)
    return str(uuid.uuid5(_ID_NAMESPACE, key))


def _input(name, value):
    return {'name': name, 'description': _DESCRIPTIONS[name],
            'type': 'String', 'value': value}


def served_config(deployment, config, signal_url):
    """The deployment as the agent sees it: a derived config.

    The only place secret inputs are served in plain text: the rows are
    as stored (masked), opened here once per document built.
    """
    item = views.config(secrets.opened_config(config))
    values = secrets.plain_values(deployment)
    inputs = []
    for declared in item['inputs'] or ():
        declared = dict(declared)
        name = declared.get('name')
        if name in values:
            declared['value'] = values[name]
        elif 'value' not in declared:
            # 55-heat-config reads every input's "value".
            declared['value'] = declared.get('default')
        inputs.append(declared)
    names = set(i.get('name') for i in inputs)
    for name, value in values.items():
        if name not in names:
            inputs.append({'name': name, 'type': 'String', 'value': value})
            names.add(name)
    deploy_inputs = (
        ('deploy_server_id', deployment.server_id),
        ('deploy_action', deployment.action),
        ('deploy_signal_transport', SIGNAL_TRANSPORT),
        ('deploy_signal_id', signal_url),
        ('deploy_signal_verb', SIGNAL_VERB),
    )
    for name, value in deploy_inputs:
        if name not in names:
            inputs.append(_input(name, value))
    item['inputs'] = inputs
    item['id'] = served_id(deployment)
    return item


def document(pairs, metadata_url, signal_url_for):
    """The JSON bytes of a server's metadata.

    ``pairs`` are the server's ``(deployment, config)`` in metadata order;
    ``signal_url_for(deployment)`` is the signal URL of the deployment's
    current run (deploysvc.agent.urls.signal_url).
    """
    body = {
        'deployments': [served_config(d, c, signal_url_for(d))
                        for d, c in pairs],
        'os-collect-config': {
            'collectors': ['request', 'local'],
            'request': {'metadata_url': metadata_url},
        },
    }
    return json.dumps(body).encode('ascii')


def etag(credential_id, revision, base_url):
    """Strong validator of the document, known without building it."""
    digest = hashlib.sha256(('%s|%s|%s' % (credential_id, revision,
                                           base_url)).encode('utf-8'))
    return '"%s"' % digest.hexdigest()[:32]
