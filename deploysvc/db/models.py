"""The tables, and the row type of each.

The alembic migrations must produce exactly these tables.  The database
functions return rows as the named tuples at the end of this module, one
per table, with the table's columns as fields: the only kind of row the
views and the agent code see.
"""

import collections
import json

from oslo_db.sqlalchemy import models
from oslo_db.sqlalchemy import types as db_types
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy import orm


def _timestamp():
    # Microseconds everywhere: MySQL's DATETIME would round to seconds.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _text():
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql')


class _Json(db_types.JsonEncodedType):
    """oslo.db's JSON text column, read with ``JSONDecoder.raw_decode``.

    The column holds what ``json.dumps`` wrote (the type's own bind), so
    ``raw_decode`` reads the same value as ``json.loads`` without its
    checks of whitespace around the document: 1.0 against 1.9 us for a
    deployment's output values (timeit), twice per row of a list.
    """

    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return _DECODE(value)[0]


_DECODE = json.JSONDecoder().raw_decode


def _json():
    return _Json(mysql_as_long=True)


class Base(models.ModelBase, orm.DeclarativeBase):
    pass


class SoftwareConfig(Base):
    """An immutable software config (payload, group, typed inputs/outputs)."""

    __tablename__ = 'software_config'
    __table_args__ = (
        sa.Index('ix_software_config_project_created',
                 'project_id', 'created_at', 'id'),
        sa.Index('ix_software_config_created', 'created_at', 'id'),
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'},
    )

    id = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(_timestamp(), nullable=False)
    name = sa.Column(sa.String(255), nullable=True)
    group = sa.Column('group', sa.String(255), nullable=True)
    config = sa.Column(_json(), nullable=True)
    inputs = sa.Column(_json(), nullable=True)
    outputs = sa.Column(_json(), nullable=True)
    options = sa.Column(_json(), nullable=True)
    # The secret inputs' defaults and values, encrypted (deploysvc.db.
    # secrets): ``inputs`` holds a mask in their place.  Null: none.
    sealed_inputs = sa.Column(_text(), nullable=True)


class SoftwareDeployment(Base):
    """One config applied to one server, with the agent's results."""

    __tablename__ = 'software_deployment'
    __table_args__ = (
        sa.Index('ix_software_deployment_project_created',
                 'project_id', 'created_at', 'id'),
        sa.Index('ix_software_deployment_server',
                 'server_id', 'created_at'),
        sa.Index('ix_software_deployment_config', 'config_id'),
        sa.Index('ix_software_deployment_stack_user_project',
                 'stack_user_project_id'),
        sa.Index('ix_software_deployment_created', 'created_at', 'id'),
        # A project's list filtered by status (?status=IN_PROGRESS), in
        # order: without it, the page walked the creation order and
        # discarded the other statuses (1,250 rows for 51 at 1,000,000).
        sa.Index('ix_software_deployment_project_status',
                 'project_id', 'status', 'created_at', 'id'),
        sa.Index('ix_software_deployment_deadline', 'deadline_at'),
        # A group's next wave: its PENDING children in order, LIMIT n
        # (deploysvc.db.groups); and its children in order, for the list.
        sa.Index('ix_software_deployment_group_state',
                 'group_id', 'group_state', 'group_ordinal'),
        sa.Index('ix_software_deployment_group_ordinal',
                 'group_id', 'group_ordinal'),
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'},
    )

    id = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    stack_user_project_id = sa.Column(sa.String(64), nullable=True)
    server_id = sa.Column(sa.String(36), nullable=False)
    config_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('software_config.id', ondelete='RESTRICT',
                      name='fk_software_deployment_config_id'),
        nullable=False)
    input_values = sa.Column(_json(), nullable=True)
    output_values = sa.Column(_json(), nullable=True)
    action = sa.Column(sa.String(255), nullable=True)
    status = sa.Column(sa.String(255), nullable=True)
    status_reason = sa.Column(
        sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=True)
    created_at = sa.Column(_timestamp(), nullable=False)
    updated_at = sa.Column(_timestamp(), nullable=True)
    # The deployment's run: bumped whenever config, inputs or action change
    # and whenever the status goes (back) to IN_PROGRESS.  The id of the
    # agent's metadata item and the signal URL derive from it, so neither
    # repeats, and a signal URL of an earlier run is refused.
    served_revision = sa.Column(sa.Integer, nullable=False, default=0,
                                server_default='0')
    # The run that signal URLs without a run (handed out before runs were
    # bound to their URLs) still stand for; null for newer deployments.
    signal_legacy_run = sa.Column(sa.Integer, nullable=True)
    # Why the status is what it is, for machines (see
    # deploysvc.db.deadlines.REASON_CODES).
    status_reason_code = sa.Column(sa.String(32), nullable=True)
    # Deadlines in seconds (null: none): delivery_timeout from the start of
    # the run until the agent fetches it, timeout from delivery until the
    # result.  deadline_at is the next one of the current run, null unless
    # IN_PROGRESS: reads past it fail the deployment (deploysvc.db.deadlines).
    delivery_timeout = sa.Column(sa.Integer, nullable=True)
    timeout = sa.Column(sa.Integer, nullable=True)
    run_started_at = sa.Column(_timestamp(), nullable=True)
    delivered_at = sa.Column(_timestamp(), nullable=True)
    deadline_at = sa.Column(_timestamp(), nullable=True)
    # The values of the config's secret inputs, encrypted (deploysvc.db.
    # secrets): ``input_values`` holds a mask in their place.  Null: none.
    sealed_inputs = sa.Column(_text(), nullable=True)
    # The deployment group it is a child of (null: none), its place in
    # the group's order, and where it is in the group's rollout: PENDING
    # (not released: not served, no deadline), RELEASED, ENDED (counted
    # once by the group); see deploysvc.db.groups.
    group_id = sa.Column(sa.String(36), nullable=True)
    group_ordinal = sa.Column(sa.Integer, nullable=True)
    group_state = sa.Column(sa.String(16), nullable=True)


class SoftwareDeploymentGroup(Base):
    """One config rolled out to many servers in waves (a fleet rollout).

    Its children are software deployments (``group_id``); the counters
    are kept in the transaction of each child's transition, under this
    row's lock, so a transition never scans the children.
    """

    __tablename__ = 'software_deployment_group'
    __table_args__ = (
        sa.Index('ix_software_deployment_group_project_created',
                 'project_id', 'created_at', 'id'),
        sa.Index('ix_software_deployment_group_created', 'created_at', 'id'),
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'},
    )

    id = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    config_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('software_config.id', ondelete='RESTRICT',
                      name='fk_software_deployment_group_config_id'),
        nullable=False)
    action = sa.Column(sa.String(255), nullable=True)
    input_values = sa.Column(_json(), nullable=True)
    # As sent ("3" or "25%") and as resolved against the group's size.
    max_concurrency_spec = sa.Column(sa.String(16), nullable=False)
    max_concurrency = sa.Column(sa.Integer, nullable=False)
    max_errors_spec = sa.Column(sa.String(16), nullable=False)
    max_errors = sa.Column(sa.Integer, nullable=False)
    delivery_timeout = sa.Column(sa.Integer, nullable=True)
    timeout = sa.Column(sa.Integer, nullable=True)
    total = sa.Column(sa.Integer, nullable=False)
    # Children out of PENDING (released, or ended before their release).
    released = sa.Column(sa.Integer, nullable=False)
    in_progress = sa.Column(sa.Integer, nullable=False)
    complete = sa.Column(sa.Integer, nullable=False)
    failed = sa.Column(sa.Integer, nullable=False)
    # Ended by the group (cancelled, or the group failed) before release.
    cancelled = sa.Column(sa.Integer, nullable=False)
    status = sa.Column(sa.String(32), nullable=False)
    status_reason = sa.Column(
        sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=True)
    status_reason_code = sa.Column(sa.String(32), nullable=True)
    created_at = sa.Column(_timestamp(), nullable=False)
    updated_at = sa.Column(_timestamp(), nullable=True)


class DeploymentGroupEvent(Base):
    """One entry of a group's history: a release, an end, a status."""

    __tablename__ = 'deployment_group_event'
    __table_args__ = (
        sa.Index('ix_deployment_group_event_group', 'group_id', 'id'),
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'},
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    group_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('software_deployment_group.id', ondelete='CASCADE',
                      name='fk_deployment_group_event_group_id'),
        nullable=False)
    created_at = sa.Column(_timestamp(), nullable=False)
    # CREATED, RELEASED, CHILD_COMPLETE, CHILD_FAILED, COMPLETE, FAILED,
    # CANCELLED.
    kind = sa.Column(sa.String(32), nullable=False)
    actor = sa.Column(sa.String(255), nullable=True)
    deployment_id = sa.Column(sa.String(36), nullable=True)
    server_id = sa.Column(sa.String(36), nullable=True)
    status_from = sa.Column(sa.String(32), nullable=True)
    status_to = sa.Column(sa.String(32), nullable=True)
    reason = sa.Column(
        sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=True)
    reason_code = sa.Column(sa.String(32), nullable=True)


class QuotaUsage(Base):
    """Per-project count of owned objects, kept in the same transaction.

    Creates increment it with a conditional UPDATE (``in_use < limit``), so
    the limit holds under concurrent creates without counting rows.
    """

    __tablename__ = 'quota_usage'
    __table_args__ = (
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'},
    )

    project_id = sa.Column(sa.String(64), primary_key=True)
    resource = sa.Column(sa.String(32), primary_key=True)
    in_use = sa.Column(sa.Integer, nullable=False, default=0)


class AgentServer(Base):
    """A server's agent credential: the secret behind its capability URLs.

    One per (project, server).  ``revision`` and ``changed_at`` move
    whenever the metadata document of that server changes, so a poll can be
    answered 304 from this row alone.
    """

    __tablename__ = 'agent_server'
    __table_args__ = (
        sa.UniqueConstraint('credential_id',
                            name='uniq_agent_server0credential_id'),
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'},
    )

    project_id = sa.Column(sa.String(64), primary_key=True)
    server_id = sa.Column(sa.String(36), primary_key=True)
    credential_id = sa.Column(sa.String(36), nullable=False)
    # Encrypted with [crypto] encryption_keys (deploysvc.db.secrets); 64
    # hex digits in plain text before that, or without keys.
    secret = sa.Column(sa.String(255), nullable=False)
    # SHA-256 (hex) of the metadata URL's mac: a poll is checked against
    # it without decrypting the secret.
    metadata_mac_hash = sa.Column(sa.String(64), nullable=True)
    revision = sa.Column(sa.Integer, nullable=False)
    created_at = sa.Column(_timestamp(), nullable=False)
    changed_at = sa.Column(_timestamp(), nullable=False)
    # When the agent last polled, to [deployment] agent_seen_interval.
    last_seen_at = sa.Column(_timestamp(), nullable=True)
    # Set with every move of revision: the next GET of the document
    # records the delivery of the server's undelivered deployments.
    delivery_pending = sa.Column(sa.Boolean, nullable=False, default=False,
                                 server_default=sa.false())


class DeploymentEvent(Base):
    """One entry of a deployment's history: a signal, or a status change."""

    __tablename__ = 'deployment_event'
    __table_args__ = (
        sa.Index('ix_deployment_event_deployment', 'deployment_id', 'id'),
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'},
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    deployment_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('software_deployment.id', ondelete='CASCADE',
                      name='fk_deployment_event_deployment_id'),
        nullable=False)
    created_at = sa.Column(_timestamp(), nullable=False)
    source = sa.Column(sa.String(32), nullable=False)
    actor = sa.Column(sa.String(255), nullable=True)
    status_from = sa.Column(sa.String(255), nullable=True)
    status_to = sa.Column(sa.String(255), nullable=True)
    applied = sa.Column(sa.Boolean, nullable=False)
    reason = sa.Column(
        sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=True)
    details = sa.Column(_json(), nullable=True)
    reason_code = sa.Column(sa.String(32), nullable=True)


class IdempotencyKey(Base):
    """The answer to a create sent with an ``Idempotency-Key`` header.

    A replay of the request (same key, same body) within ``expires_at`` is
    answered with ``body`` again instead of creating anything.  The key is
    stored as its SHA-256 (``key_hash``): fixed length, and compared
    byte for byte on every database (MySQL's default collation would take
    "A" and "a" for the same key).
    """

    __tablename__ = 'idempotency_key'
    __table_args__ = (
        sa.Index('ix_idempotency_key_expires', 'expires_at'),
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'},
    )

    project_id = sa.Column(sa.String(64), primary_key=True)
    key_hash = sa.Column(sa.String(64), primary_key=True)
    # SHA-256 of what the request asked for (the route and its body).
    request_hash = sa.Column(sa.String(64), nullable=False)
    resource_id = sa.Column(sa.String(36), nullable=False)
    status = sa.Column(sa.Integer, nullable=False)
    body = sa.Column(
        sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=False)
    created_at = sa.Column(_timestamp(), nullable=False)
    expires_at = sa.Column(_timestamp(), nullable=False)


def _row_type(name, model):
    return collections.namedtuple(name, [c.name for c in model.__table__.c])


Config = _row_type('Config', SoftwareConfig)
Deployment = _row_type('Deployment', SoftwareDeployment)
Agent = _row_type('Agent', AgentServer)
Event = _row_type('Event', DeploymentEvent)
Idempotent = _row_type('Idempotent', IdempotencyKey)
Group = _row_type('Group', SoftwareDeploymentGroup)
GroupEvent = _row_type('GroupEvent', DeploymentGroupEvent)
