"""Heat's rules for a signal from an in-instance agent, and taking one.

The rules are written down in doc/source/contributor/behaviour.rst,
behaviour-signal-rules.
"""

from deploysvc.agent import tokens
from deploysvc.common import metrics
from deploysvc import context as ctx
from deploysvc.db import agents
from deploysvc.db import deployments
from deploysvc.db import query
from deploysvc.db import runs
from deploysvc import exception

COMPLETE = 'COMPLETE'
FAILED = 'FAILED'
IN_PROGRESS = 'IN_PROGRESS'

_STANDARD = ('deploy_stdout', 'deploy_stderr', 'deploy_status_code')


class Result(object):
    """What a signal does to a deployment."""

    def __init__(self, status, status_reason, output_values, event, code):
        self.status = status
        self.status_reason = status_reason
        self.output_values = output_values
        self.event = event
        # The status_reason_code (deploysvc.db.runs).
        self.code = code


def apply(deployment_id, outputs, output_values, details):
    """The deployment's new status, reason and outputs after a signal.

    ``outputs`` are the config's declared outputs, ``output_values`` the
    stored ones (merged into, as Heat does), ``details`` the signal body.
    Undeclared keys other than ``deploy_*`` are dropped; a non-zero
    ``deploy_status_code`` or any declared ``error_output`` present in the
    signal fails the deployment.
    """
    details = details or {}
    values = dict(output_values or {})
    reasons = []
    code = details.get('deploy_status_code')
    failed = bool(code) and str(code) != '0'
    reason_code = runs.NONZERO_EXIT if failed else None
    if failed:
        reasons.append('deploy_status_code : Deployment exited with '
                       'non-zero status code: %s' % code)
        event = 'deployment %s failed (%s)' % (deployment_id, code)
    else:
        event = 'deployment %s succeeded' % deployment_id
    for output in outputs or ():
        name = output.get('name')
        if name in details:
            values[name] = details[name]
            if output.get('error_output'):
                failed = True
                reason_code = reason_code or runs.ERROR_OUTPUT
                reasons.append('%s : %s' % (name, details[name]))
                # As Heat: an error output's event has no status code.
                event = 'deployment %s failed' % deployment_id
    for key in _STANDARD:
        values[key] = details.get(key)
    if failed:
        return Result(FAILED, ', '.join(reasons), values, event, reason_code)
    return Result(COMPLETE, 'Outputs received', values, event,
                  runs.OUTPUTS_RECEIVED)


def _parse(deployment_id, token):
    parsed = tokens.parse_signal_token(token)
    if parsed is None:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    return parsed


def check(deployment_id, token):
    """DeploymentNotFound unless ``token`` is a signal token of the deployment.

    One read, before the body is parsed; ``take`` checks again under the
    row's lock, and only it knows the deployment's current run.
    """
    run, mac = _parse(deployment_id, token)
    secret = agents.deployment_secret(deployment_id)
    if secret is None or not tokens.verify_signal(secret, deployment_id,
                                                  run, mac):
        raise exception.DeploymentNotFound(deployment_id=deployment_id)


def _decide(details, applied, row, outputs):
    if row.status != IN_PROGRESS:
        status = row.status or 'without a status'
        if row.status_reason_code in runs.ENDED_BY_SERVICE:
            # Late, after a timeout or a cancel: say which.
            status = '%s (%s)' % (status, row.status_reason_code)
        return {}, ('Ignored: the deployment is %s, not IN_PROGRESS.'
                    % status)
    result = apply(row.id, outputs, row.output_values, details)
    applied.append(result)
    reason = result.status_reason[:query.MAX_REASON]
    return {'status': result.status, 'status_reason': reason,
            'status_reason_code': result.code,
            'output_values': result.output_values}, reason


def _counted(row, result, stale=False):
    """Count a signal taken (deploysvc_signals_total) and the run it ended.

    Called once the signal's transaction has committed.
    """
    if stale:
        metrics.signal('stale')
    elif result is not None:
        metrics.signal('applied')
        if result.status != IN_PROGRESS and row.delivered_at is not None:
            metrics.ended(result.status, (
                row.updated_at - row.delivered_at).total_seconds())
    elif row.status_reason_code in runs.ENDED_BY_SERVICE:
        metrics.signal('late')
    else:
        metrics.signal('ignored')
    return row, result


def take(deployment_id, token, details):
    """Apply a signal sent to a deployment's signal URL.

    Returns ``(row, result)``: the deployment after the signal, and the
    ``Result`` applied, or None when the deployment was not IN_PROGRESS
    (the signal is then only recorded in its history).  A wrong token is
    DeploymentNotFound, as is an unknown deployment.  A token of an
    earlier run than the deployment's is recorded in the history as
    ignored, never applied, and then refused with StaleSignal
    (doc/source/contributor/behaviour.rst, behaviour-signal-runs).
    """
    run, mac = _parse(deployment_id, token)
    context = ctx.get_admin_context()
    context.user_id = 'agent'
    applied = []
    stale = []

    def authorize(secret, row):
        # A URL without a run was handed out before runs had URLs: it
        # stands for the run the deployment was in at the upgrade, and
        # deployments created since never had one.
        if run is None and row.signal_legacy_run is None:
            return False
        return tokens.verify_signal(secret, deployment_id, run, mac)

    def decide(row, outputs):
        # (Runs again when the transaction is retried: the last run is the
        # one that was committed.)
        del applied[:], stale[:]
        url_run = row.signal_legacy_run if run is None else run
        if url_run != row.served_revision:
            stale.append((url_run, row.served_revision))
            return {}, ('Ignored: sent to the signal URL of run %d; the '
                        'deployment is at run %d (a new action or re-run '
                        'started since).' % stale[0])
        return _decide(details, applied, row, outputs)

    row, was_applied = deployments.signal(context, deployment_id, decide,
                                          details, authorize=authorize)
    if stale:
        _counted(row, None, stale=True)
        raise exception.StaleSignal(deployment_id=deployment_id,
                                    run=stale[0][0], current=stale[0][1])
    return _counted(row, applied[-1] if was_applied else None)


def send(context, deployment_id, details):
    """Apply a signal sent with a token (the caller's policy checked).

    The deployment must be visible to the caller, a stack user's included
    (doc/source/contributor/behaviour.rst, behaviour-visibility); the
    signal is for the deployment's current run.  Returns what ``take``
    returns.
    """
    applied = []

    def decide(row, outputs):
        del applied[:]
        return _decide(details, applied, row, outputs)

    row, was_applied = deployments.signal(context, deployment_id, decide,
                                          details)
    return _counted(row, applied[-1] if was_applied else None)
