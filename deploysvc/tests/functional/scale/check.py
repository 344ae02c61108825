"""After the load: every acknowledged write is in the database, once.

Read on one Galera node once the load has stopped (with wsrep_sync_wait,
so every node's acknowledged writes are visible).  Returns the list of
what is wrong, and the counts for the report.
"""

import collections
import json

import sqlalchemy as sa


def _json(value):
    if value is None or isinstance(value, (dict, list)):
        return value
    return json.loads(value)


def ledger(load, db_url, quota):
    """(problems, counts) of ``load``'s clients against the database."""
    problems = []
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql('SET SESSION wsrep_sync_wait = 1')
            rows = _rows(connection, load.projects)
    finally:
        engine.dispose()
    configs, deployments, events, usage = rows
    acknowledged = collections.Counter()
    config_names = collections.Counter(name for _, name in configs.values())
    for client in load.clients:
        problems += _configs(client, configs, config_names)
        problems += _deployments(client, deployments, events)
        acknowledged.update(client.acknowledged)
    problems += _quotas(load.projects, configs, deployments, usage, quota)
    ours = set(d for c in load.clients for d in c.deployments) | set(
        d for c in load.clients for d in c.deleted)
    reasons = set(r for c in load.clients for r in c.maybe_deployments)
    problems += _keyed(load, deployments)
    reasons |= set(r for c in load.clients for r in c.keyed | c.maybe_keyed)
    maybe_deleted = set(d for c in load.clients for d in c.maybe_deleted)
    for deployment_id, row in deployments.items():
        if not (deployment_id in ours or deployment_id in maybe_deleted
                or row['status_reason'] in reasons):
            problems.append('deployment %s (%s) was never created by an '
                            'acknowledged or unanswered request: a '
                            'duplicate' % (deployment_id,
                                           row['status_reason']))
    return problems, dict(acknowledged)


def _keyed(load, deployments):
    """Keyed creates: one row each (an unanswered one: at most one)."""
    problems = []
    counts = collections.Counter(row['status_reason']
                                 for row in deployments.values())
    for client in load.clients:
        for key in client.keyed:
            if counts[key] != 1:
                problems.append('Idempotency-Key %s: %d deployments, not 1'
                                % (key, counts[key]))
        for key in client.maybe_keyed:
            if counts[key] > 1:
                problems.append('Idempotency-Key %s (unanswered): %d '
                                'deployments' % (key, counts[key]))
    return problems


def _rows(connection, projects):
    params = {'projects': list(projects)}
    expanding = sa.bindparam('projects', expanding=True)
    configs = dict(
        (row.id, (row.project_id, row.name)) for row in connection.execute(
            sa.text('SELECT id, project_id, name FROM software_config '
                    'WHERE project_id IN :projects').bindparams(expanding),
            params))
    deployments = dict(
        (row.id, row._asdict()) for row in connection.execute(
            sa.text('SELECT id, project_id, server_id, status, '
                    'status_reason, output_values FROM software_deployment '
                    'WHERE project_id IN :projects').bindparams(expanding),
            params))
    events = [row.details for row in connection.execute(
        sa.text('SELECT e.details FROM deployment_event e JOIN '
                'software_deployment d ON d.id = e.deployment_id '
                'WHERE d.project_id IN :projects').bindparams(expanding),
        params)]
    usage = dict(
        ((row.project_id, row.resource), row.in_use)
        for row in connection.execute(
            sa.text('SELECT project_id, resource, in_use FROM quota_usage '
                    'WHERE project_id IN :projects').bindparams(expanding),
            params))
    return configs, deployments, events, usage


def _configs(client, configs, names):
    problems = []
    for config_id, name in client.configs.items():
        if configs.get(config_id, (None, None))[1] != name:
            problems.append('acknowledged config %s (%s) is lost'
                            % (config_id, name))
        elif names[name] != 1:
            problems.append('config %s stored %d times' % (name,
                                                           names[name]))
    for name in client.maybe_configs:
        if names[name] > 1:
            problems.append('config %s stored %d times' % (name,
                                                           names[name]))
    return problems


def _deployments(client, deployments, events):
    problems = []
    for deployment_id, (_, expected) in client.deployments.items():
        row = deployments.get(deployment_id)
        if row is None:
            problems.append('acknowledged deployment %s is lost'
                            % deployment_id)
        elif expected is None:
            continue   # its last write has no answer: either is right
        elif expected in client.signals:
            outputs = _json(row['output_values']) or {}
            if outputs.get('deploy_stdout') != expected:
                problems.append('acknowledged signal %s of %s is lost: %s'
                                % (expected, deployment_id, outputs))
        elif row['status_reason'] != expected:
            problems.append('acknowledged write %s of %s is lost: %s'
                            % (expected, deployment_id,
                               row['status_reason']))
    for deployment_id in client.deleted:
        if deployment_id in deployments:
            problems.append('acknowledged delete of %s is lost'
                            % deployment_id)
    # Every signal leaves one event; an acknowledged one exactly one.
    texts = [json.dumps(_json(details)) for details in events]
    # (A deleted deployment's events go with it.)
    signals = dict(client.maybe_signals, **client.signals)
    for marker, deployment_id in signals.items():
        if deployment_id not in deployments:
            continue
        found = sum('"%s"' % marker in text for text in texts)
        if found > 1 or (found == 0 and marker in client.signals):
            problems.append('signal %s recorded %d times' % (marker, found))
    return problems


def _quotas(projects, configs, deployments, usage, quota):
    problems = []
    for project in projects:
        counts = {
            'software_configs': sum(
                1 for p, _ in configs.values() if p == project),
            'software_deployments': sum(
                1 for d in deployments.values()
                if d['project_id'] == project)}
        for resource, count in counts.items():
            in_use = usage.get((project, resource), 0)
            if in_use != count:
                problems.append('quota of %s in %s counts %d for %d rows'
                                % (resource, project, in_use, count))
        if quota >= 0 and counts['software_deployments'] > quota:
            problems.append('%d deployments in %s over the quota of %d' % (
                counts['software_deployments'], project, quota))
    return problems
