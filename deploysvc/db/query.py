"""What the resource modules' statements share: scoping, paging, times."""

import datetime

from oslo_utils import timeutils
import sqlalchemy as sa

from deploysvc.db import prepared

# The smallest step of the stored timestamps (microseconds everywhere).
_TICK = datetime.timedelta(microseconds=1)

# status_reason and event reasons are cut to this many characters
# (MEDIUMTEXT on MySQL holds more; Heat's TEXT column would hold 65,535).
MAX_REASON = 65535


def now():
    return timeutils.utcnow()


def next_update_time(row):
    """Now, but always later than the row's previous update.

    Chosen under the row's lock, so every update of a row gets a distinct,
    increasing time even when the clocks of API nodes differ.
    """
    current = now()
    if row.updated_at is not None and row.updated_at >= current:
        current = row.updated_at + _TICK
    return current


class Scoped(object):
    """A statement for administrators and its forms for everyone else.

    ``visible`` is the condition (on the ``p_project_id`` parameter) that
    limits the rows to the caller's project; administrators see every
    project's rows.  ``shared``, when given, is the wider condition of a
    caller that the policy names as a stack user
    (``context.is_stack_user``): the rows of its project and those that
    name its project as their stack user project, for the reads (and the
    signal) an in-instance agent needs
    (doc/source/contributor/behaviour.rst, behaviour-visibility).  Every
    form is built once, at import, and compiled once per dialect.
    """

    def __init__(self, statement, visible, shared=None):
        # (The restricted forms are derived before the plain one is
        # wrapped: the columns SQLAlchemy memoizes on a statement when the
        # wrapper reads them would otherwise be copied into a derived one.)
        self.own = prepared.Statement(statement.where(visible))
        self.shared = (None if shared is None
                       else prepared.Statement(statement.where(shared)))
        self.any = prepared.Statement(statement)

    def bind(self, context, shared=False, **params):
        """The statement for ``context`` and its parameters.

        ``shared``: whether this use admits stack users to the rows that
        name their project (reads, not changes).
        """
        if context.is_admin:
            return self.any, params
        params['p_project_id'] = context.project_id
        if (shared and self.shared is not None
                and getattr(context, 'is_stack_user', False)):
            return self.shared, params
        return self.own, params

    def column(self, context, column, **params):
        """``column`` of the visible row, as a bound scalar subquery."""
        statement, params = self.bind(context, **params)
        return statement.statement.with_only_columns(
            column).scalar_subquery().params(**params)


def keyset_page(query, table, key, descending, marker=None,
                row_values=False):
    """Order by ``key`` then ``id``; only rows after ``marker``.

    NULL is the smallest value on every database (first ascending, last
    descending), and a marker whose key is NULL pages correctly, which
    oslo.db's paginate_query does not do (see
    doc/source/contributor/behaviour.rst, behaviour-paging).
    ``row_values`` compares ``(key, id)`` as a row value, which PostgreSQL
    and SQLite turn into an index range; MySQL/MariaDB do not always, so
    they get the expanded OR.
    """
    column = table.c[key]
    ident = table.c.id
    order = sa.desc if descending else sa.asc
    nullable = key != 'id' and column.nullable
    if nullable:
        query = query.order_by(order(column.is_not(None)))
    if key != 'id':
        query = query.order_by(order(column))
    query = query.order_by(order(ident))
    if marker is None:
        return query
    after_id = (ident < marker.id) if descending else (ident > marker.id)
    if key == 'id':
        return query.where(after_id)
    value = getattr(marker, key)
    if row_values and not nullable:
        pair = sa.tuple_(column, ident)
        # (tuple_, not a plain tuple: the values may be bound parameters.)
        after = sa.tuple_(value, marker.id)
        return query.where(pair < after if descending else pair > after)
    if value is None:
        same = sa.and_(column.is_(None), after_id)
        return query.where(same if descending
                           else sa.or_(same, column.is_not(None)))
    tie = sa.and_(column == value, after_id)
    if descending:
        criteria = [column < value, tie]
        if nullable:
            criteria.append(column.is_(None))
        return query.where(sa.or_(*criteria))
    return query.where(sa.or_(column > value, tie))


def row_values(w):
    """Whether the connection's database pages well on row values."""
    return w.dialect.name in ('postgresql', 'sqlite')
