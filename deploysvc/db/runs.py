"""Runs of deployments: deadlines and reason codes, the rules (no daemon).

A run of a deployment (its creation, a new action, a re-run) has two
deadlines: ``delivery_timeout`` seconds from its start until the server's
agent fetches it, then ``timeout`` seconds from delivery until its result.
``deadline_at`` holds the next one while the deployment is IN_PROGRESS.

Nothing watches the clock.  Every read of a deployment (show, list,
events, a signal, an update, a cancel) compares ``deadline_at`` with now,
and a deployment past it is failed there, under its row's lock and after
checking again, so the transition and its event happen once however many
workers and nodes notice it at the same moment (see
doc/source/contributor/behaviour.rst, behaviour-deadlines).
"""

import datetime

from oslo_config import cfg

from deploysvc.db import query

IN_PROGRESS = 'IN_PROGRESS'
FAILED = 'FAILED'

# status_reason_code values (the machine-readable status_reason).
API_UPDATE = 'API_UPDATE'
OUTPUTS_RECEIVED = 'OUTPUTS_RECEIVED'
NONZERO_EXIT = 'NONZERO_EXIT'
ERROR_OUTPUT = 'ERROR_OUTPUT'
TIMED_OUT_DELIVERY = 'TIMED_OUT_DELIVERY'
TIMED_OUT_EXECUTION = 'TIMED_OUT_EXECUTION'
CANCELLED = 'CANCELLED'
# A child of a deployment group waiting for its wave (deploysvc.db.groups).
NOT_RELEASED = 'NOT_RELEASED'
# (Events only: a signal recorded without being applied.)
SIGNAL_IGNORED = 'SIGNAL_IGNORED'
REASON_CODES = (API_UPDATE, OUTPUTS_RECEIVED, NONZERO_EXIT, ERROR_OUTPUT,
                TIMED_OUT_DELIVERY, TIMED_OUT_EXECUTION, CANCELLED,
                SIGNAL_IGNORED, NOT_RELEASED)

# group_state of a deployment group's child: waiting for its wave (not
# served, no deadline), released, ended (counted by its group).
PENDING = 'PENDING'
RELEASED = 'RELEASED'
ENDED = 'ENDED'

# The ends of a run that came from the service, not from the agent's
# result or an update.
ENDED_BY_SERVICE = (TIMED_OUT_DELIVERY, TIMED_OUT_EXECUTION, CANCELLED)

# The request fields, and the config options, that set them.
FIELDS = ('delivery_timeout', 'timeout')
# Above this a deadline is past any date a database stores (10 years).
MAX_TIMEOUT = 10 * 365 * 24 * 3600


def defaults(values, options):
    """``values`` with each deadline the request left out filled in.

    From the config's ``options`` (same names), else from the
    ``[deployment]`` options; 0 means no deadline and is stored as null.
    """
    result = dict(values)
    conf = cfg.CONF.deployment
    for name in FIELDS:
        value = result.get(name)
        if value is None and isinstance(options, dict):
            value = options.get(name)
            if not (isinstance(value, int) and not isinstance(value, bool)
                    and 0 <= value <= MAX_TIMEOUT):
                value = None
        if value is None:
            value = getattr(conf, name)
        result[name] = value or None
    return result


def deadline_of(row):
    """The next deadline of a deployment's current run, or None.

    None for a group's child not released yet: its run starts when its
    wave does.
    """
    if (row.status != IN_PROGRESS or row.run_started_at is None
            or row.group_state == PENDING):
        return None
    if row.delivered_at is None:
        seconds, start = row.delivery_timeout, row.run_started_at
    else:
        seconds = row.timeout
        start = max(row.delivered_at, row.run_started_at)
    if not seconds:
        return None
    return start + datetime.timedelta(seconds=seconds)


def overdue(row, now=None):
    """Whether a deployment is IN_PROGRESS past its deadline."""
    return (row.deadline_at is not None and row.status == IN_PROGRESS
            and row.deadline_at <= (now or query.now()))


def expiry(row):
    """The values that fail an overdue deployment, and its reason code."""
    if row.delivered_at is None:
        code = TIMED_OUT_DELIVERY
        reason = ('Deployment was not delivered to the server within %d '
                  'seconds' % row.delivery_timeout)
    else:
        code = TIMED_OUT_EXECUTION
        reason = ('Deployment produced no result within %d seconds of '
                  'delivery' % row.timeout)
    return {'status': FAILED, 'status_reason': reason,
            'status_reason_code': code}


def is_served(row):
    """Whether the server's agent is served the deployment.

    All are but those cancelled before their delivery, until a new status
    is given to them, and a group's children not released yet.
    """
    return not (row.status_reason_code == CANCELLED
                and row.delivered_at is None
                or row.group_state == PENDING)


def with_deadline(row):
    """``row`` with ``deadline_at`` recomputed from its other columns."""
    return row._replace(deadline_at=deadline_of(row))
