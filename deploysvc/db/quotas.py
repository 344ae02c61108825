"""Per-project counts of configs and deployments, kept in the same write.

A create takes a slot with a conditional UPDATE (``in_use < limit``), so
the limit holds under concurrent creates without counting rows, and the
UPDATE's row lock makes concurrent creates of one project serialize; a
delete gives the slot back (see doc/source/contributor/behaviour.rst,
behaviour-quotas).  Every function here takes the ``Work`` of the caller's
write transaction.
"""

from oslo_db import exception as db_exc
import sqlalchemy as sa

from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc import exception

CONFIGS = 'software_configs'
DEPLOYMENTS = 'software_deployments'

_USAGE = models.QuotaUsage.__table__
_SC = models.SoftwareConfig.__table__
_OWN = _USAGE.c.project_id == sa.bindparam('p_project_id')
_TAKE = sa.update(_USAGE).where(
    _OWN, _USAGE.c.resource == sa.bindparam('p_resource')).values(
        in_use=_USAGE.c.in_use + 1)
_BELOW_LIMIT = _USAGE.c.in_use < sa.bindparam('p_limit')
_TAKE_BELOW = prepared.Statement(_TAKE.where(_BELOW_LIMIT))
_TAKE = prepared.Statement(_TAKE)
_USAGE_OF = prepared.Statement(sa.select(_USAGE.c.in_use).where(
    _OWN, _USAGE.c.resource == sa.bindparam('p_resource')))
_INSERT = prepared.Statement(_USAGE.insert(), column_keys=[
    'project_id', 'resource', 'in_use'])

# A deployment's slot, taken only if its config is usable: one statement
# where the quota UPDATE and the config check were two.
_TAKE_DEPLOYMENT = sa.update(_USAGE).where(
    _OWN, _USAGE.c.resource == DEPLOYMENTS).values(
        in_use=_USAGE.c.in_use + 1)
_ANY_CONFIG = sa.exists().where(_SC.c.id == sa.bindparam('p_config_id'))
_OWN_CONFIG = _ANY_CONFIG.where(_SC.c.project_id == sa.bindparam(
    'p_project_id'))
_TAKE_FOR_CONFIG = {
    # (limit enforced, caller is an administrator)
    (False, True): prepared.Statement(_TAKE_DEPLOYMENT.where(_ANY_CONFIG)),
    (False, False): prepared.Statement(_TAKE_DEPLOYMENT.where(_OWN_CONFIG)),
    (True, False): prepared.Statement(_TAKE_DEPLOYMENT.where(
        _BELOW_LIMIT, _OWN_CONFIG)),
}


def _enforced(context, limit):
    """Whether ``limit`` (-1: none) applies; administrators have none."""
    return limit >= 0 and not context.is_admin


def take(w, context, resource, limit):
    """Count one more ``resource`` for the context's project.

    Raises RequestLimitExceeded when ``limit`` is reached.
    """
    params = {'p_project_id': context.project_id, 'p_resource': resource}
    enforce = _enforced(context, limit)
    if enforce:
        taken = w.execute(_TAKE_BELOW, dict(params, p_limit=limit))
    else:
        taken = w.execute(_TAKE, params)
    if taken.rowcount:
        return
    in_use = w.execute(_USAGE_OF, params).scalar()
    if in_use is not None:
        if enforce and in_use >= limit:
            raise _limit_error(resource, limit)
        # The project's first create, by another transaction, committed
        # between the UPDATE (which found no row) and this read: the
        # slot is there to take now, so start over.
        raise db_exc.RetryRequest(exception.Conflict(
            'quota row of %s created meanwhile' % resource))
    if enforce and limit == 0:
        raise _limit_error(resource, limit)
    # No savepoint: on MySQL a deadlock rolls back the whole transaction,
    # savepoints included, and ROLLBACK TO SAVEPOINT then fails with a
    # DBError that hides the DBDeadlock from the retry.  Nothing before
    # this INSERT needs keeping: a retry of the whole transaction is right.
    try:
        w.execute(_INSERT, {'project_id': context.project_id,
                            'resource': resource, 'in_use': 1})
    except db_exc.DBDuplicateEntry as e:
        # Another transaction created the row first: start over.
        raise db_exc.RetryRequest(e)


def take_for_config(w, context, limit, config_id):
    """Take a deployment slot if the config is usable, in one statement.

    False when nothing was taken: the quota is reached, the project has no
    quota row yet, or the config is not usable; the caller then asks
    ``take`` and the config check which, in that order.
    """
    enforce = _enforced(context, limit)
    params = {'p_project_id': context.project_id, 'p_config_id': config_id}
    if enforce:
        params['p_limit'] = limit
    statement = _TAKE_FOR_CONFIG[enforce, bool(context.is_admin)]
    return w.execute(statement, params).rowcount == 1


def give_back(w, owner, resource):
    """One ``resource`` fewer for ``owner`` (a scalar subquery)."""
    w.execute(
        sa.update(_USAGE).where(_USAGE.c.project_id == owner,
                                _USAGE.c.resource == resource,
                                _USAGE.c.in_use > 0)
        .values(in_use=_USAGE.c.in_use - 1))


def _limit_error(resource, limit):
    noun = resource.replace('_', ' ')
    reason = ('You have reached the maximum %s per tenant, %d. Please '
              'delete some %s.' % (noun, limit, noun.split(' ')[-1]))
    # The keyword "message" of the exception is the whole message, so the
    # class's "Request limit exceeded: " prefix is applied here.
    return exception.RequestLimitExceeded(
        exception.RequestLimitExceeded.msg_fmt % {'message': reason})


def take_many(w, context, resource, limit, count):
    """Count ``count`` more ``resource`` at once (a deployment group).

    All or nothing, in one conditional UPDATE (``in_use + count <=
    limit``): a group that would exceed the quota is refused before
    anything is created, with a message that says how many it needs.
    """
    enforce = _enforced(context, limit)
    condition = [_USAGE.c.project_id == context.project_id,
                 _USAGE.c.resource == resource]
    if enforce:
        condition.append(_USAGE.c.in_use + count <= limit)
    if w.execute(sa.update(_USAGE).where(*condition).values(
            in_use=_USAGE.c.in_use + count)).rowcount:
        return
    params = {'p_project_id': context.project_id, 'p_resource': resource}
    in_use = w.execute(_USAGE_OF, params).scalar()
    if in_use is not None or (enforce and count > limit):
        if enforce and (in_use or 0) + count > limit:
            noun = resource.replace('_', ' ')
            raise exception.RequestLimitExceeded(
                exception.RequestLimitExceeded.msg_fmt % {
                    'message': 'A deployment group of %d servers needs %d '
                               '%s; the project has %d of its maximum %d '
                               'in use. Please delete some %s, or ask for '
                               'a larger quota.' % (
                                   count, count, noun, in_use or 0, limit,
                                   noun.split(' ')[-1])})
        raise db_exc.RetryRequest(exception.Conflict(
            'quota row of %s created meanwhile' % resource))
    try:
        w.execute(_INSERT, {'project_id': context.project_id,
                            'resource': resource, 'in_use': count})
    except db_exc.DBDuplicateEntry as e:
        raise db_exc.RetryRequest(e)


def give_back_many(w, owner, resource, count):
    """``count`` ``resource`` fewer for the project ``owner``."""
    if count:
        w.execute(sa.update(_USAGE).where(
            _USAGE.c.project_id == owner, _USAGE.c.resource == resource)
            .values(in_use=sa.case((_USAGE.c.in_use > count,
                                    _USAGE.c.in_use - count), else_=0)))
