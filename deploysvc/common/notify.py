"""Notifications of what changed, on oslo.messaging.

Every change that others may want to follow (a deployment created,
updated, fetched by its server's agent, signalled, timed out, cancelled
or deleted; a config created or deleted; a rollout created, ended or
deleted) is announced once its transaction has committed: the database
function asks for it with ``deployment``, ``config`` or ``send`` on its
work (deploysvc.db.engine.Work.after_commit), so a change that rolls
back, or a run of the work that a deadlock retries, is never announced.

The payloads are versioned (``payload_version``) and say what changed,
never what a deployment was given: no input values, no config body, no
credential.  An output value is sent as text cut to ``OUTPUT_MAX``
characters and a status reason to ``REASON_MAX``.  The event types and
fields are listed in doc/source/admin/operations.rst.

Sending never holds a request: the notification goes into a bounded
queue of the process, which one background thread sends.  With the
broker down the thread waits as ``[oslo_messaging_notifications] retry``
says (oslo.messaging's option: -1, the default, until the broker is
back), and what does not fit in the queue meanwhile is dropped with a
warning.  With no ``[oslo_messaging_notifications] driver`` (the default)
nothing is built or queued.

A new kind of event is one call from its database function, e.g. for a
rollout: ``notify.send(w, context, 'software_deployment_group.create.end',
notify.payload(id=..., project_id=..., status=...))``.
"""

import os
import queue
import socket
import threading

from oslo_log import log as logging
import oslo_messaging

from deploysvc.common import metrics
from deploysvc import conf

LOG = logging.getLogger(__name__)
CONF = conf.CONF

PAYLOAD_VERSION = '1.0'
# An output value (deploy_stdout may be megabytes) is sent as its first
# 256 characters: enough for an exit code or the last error line, not a
# log.  A status reason is a column of 255 characters at most anyway.
OUTPUT_MAX = 256
REASON_MAX = 255
# Notifications waiting to be sent per process.  At a few hundred bytes
# each, 1,000 are well under a megabyte, and hold several minutes of a
# busy API worker's changes (about 5 per second) while the broker is away.
QUEUE_SIZE = 1000
PUBLISHER = 'deploysvc'

_STATE = {'pid': None, 'sender': None}


def enabled():
    """Whether notifications are sent (a driver other than noop is set)."""
    drivers = CONF.oslo_messaging_notifications.driver
    return bool(drivers) and drivers != ['noop']


def _text(value, limit):
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:limit]


def _time(value):
    return None if value is None else value.isoformat()


def _seconds(start, end):
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def payload(**fields):
    """A payload of ``fields``, versioned."""
    return dict(fields, payload_version=PAYLOAD_VERSION)


def deployment_payload(row, **extra):
    """The payload announcing deployment ``row`` (a db Deployment row).

    ``delivery_seconds``: from the start of the run to its fetch by the
    server's agent; ``run_seconds``: from the fetch to the result, once
    the deployment is COMPLETE or FAILED.
    """
    ended = row.status in ('COMPLETE', 'FAILED')
    outputs = row.output_values or {}
    return payload(
        id=row.id,
        project_id=row.project_id,
        server_id=row.server_id,
        config_id=row.config_id,
        action=row.action,
        status=row.status,
        status_reason=_text(row.status_reason, REASON_MAX),
        status_reason_code=row.status_reason_code,
        run=row.served_revision,
        created_at=_time(row.created_at),
        updated_at=_time(row.updated_at),
        run_started_at=_time(row.run_started_at),
        delivered_at=_time(row.delivered_at),
        deadline_at=_time(row.deadline_at),
        delivery_seconds=_seconds(row.run_started_at, row.delivered_at),
        run_seconds=(_seconds(row.delivered_at, row.updated_at)
                     if ended else None),
        outputs={name: _text(value, OUTPUT_MAX)
                 for name, value in sorted(outputs.items())},
        **extra)


def config_payload(row):
    """The payload announcing config ``row``: never its body or inputs."""
    return payload(id=row.id, project_id=row.project_id, name=row.name,
                   group=row.group, created_at=_time(row.created_at))


def group_payload(row):
    """The payload announcing deployment group ``row``: never its inputs."""
    return payload(
        id=row.id, project_id=row.project_id, config_id=row.config_id,
        action=row.action, status=row.status,
        status_reason=_text(row.status_reason, REASON_MAX),
        status_reason_code=row.status_reason_code, total=row.total,
        released=row.released, in_progress=row.in_progress,
        complete=row.complete, failed=row.failed, cancelled=row.cancelled,
        created_at=_time(row.created_at), updated_at=_time(row.updated_at))


def _context(context):
    """What the notification says of the request: ids only, no token."""
    if context is None:
        return {}
    return {name: getattr(context, name, None) for name in (
        'request_id', 'global_request_id', 'project_id', 'user_id')}


def send(w, context, event_type, body):
    """Announce ``event_type`` with ``body`` once ``w`` commits."""
    if enabled():
        w.after_commit(_queue, _context(context), event_type, body)


def deployment(w, context, action, row, **extra):
    """Announce ``software_deployment.<action>.end`` of ``row``."""
    if enabled():
        w.after_commit(_queue, _context(context),
                       'software_deployment.%s.end' % action,
                       deployment_payload(row, **extra))


def group(w, context, action, row):
    """Announce ``software_deployment_group.<action>.end`` of ``row``."""
    if enabled():
        w.after_commit(_queue, _context(context),
                       'software_deployment_group.%s.end' % action,
                       group_payload(row))


def config(w, context, action, row):
    """Announce ``software_config.<action>.end`` of ``row``."""
    if enabled():
        w.after_commit(_queue, _context(context),
                       'software_config.%s.end' % action,
                       config_payload(row))


class Sender(object):
    """The queue of a process and the thread that sends it."""

    def __init__(self, notifier, size=QUEUE_SIZE):
        self.notifier = notifier
        self.queue = queue.Queue(size)
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name='deploysvc-notifications')
        self.thread.start()

    def put(self, ctxt, event_type, body):
        try:
            self.queue.put_nowait((ctxt, event_type, body))
        except queue.Full:
            metrics.notification_dropped()
            LOG.warning('Notification %s of %s dropped: %d are waiting for '
                        'the message broker', event_type, body.get('id'),
                        self.queue.maxsize)

    def flush(self):
        """Wait until everything queued has been sent (or given up)."""
        self.queue.join()

    def _run(self):
        while True:
            ctxt, event_type, body = self.queue.get()
            try:
                # oslo.messaging logs and swallows a failed send itself.
                self.notifier.info(ctxt, event_type, body)
            except Exception:
                LOG.exception('Notification %s not sent', event_type)
            finally:
                self.queue.task_done()


def _new_sender():
    transport = oslo_messaging.get_notification_transport(CONF)
    return Sender(oslo_messaging.Notifier(
        transport, publisher_id='%s.%s' % (PUBLISHER, socket.gethostname())))


def sender():
    """This process's sender, made at the first notification.

    Per process: a worker forked from the master makes its own connection
    and thread (neither survives a fork).
    """
    pid = os.getpid()
    if _STATE['pid'] != pid:
        _STATE['sender'] = _new_sender()
        _STATE['pid'] = pid
    return _STATE['sender']


def use(new_sender):
    """Send through ``new_sender`` in this process (tests); None resets."""
    _STATE['sender'] = new_sender
    _STATE['pid'] = None if new_sender is None else os.getpid()


def flush():
    """Wait until this process's notifications have been sent."""
    if _STATE['sender'] is not None and _STATE['pid'] == os.getpid():
        _STATE['sender'].flush()


def _queue(ctxt, event_type, body):
    sender().put(ctxt, event_type, body)
