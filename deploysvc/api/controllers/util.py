"""Small helpers shared by the v1 controllers."""

from oslo_config import cfg
from oslo_serialization import jsonutils
import pecan
import pecan.core

from deploysvc.api import faults
from deploysvc import exception


def respond(body, status=200):
    """Return ``body`` as the JSON response (Heat's ASCII-escaped JSON)."""
    return respond_json(jsonutils.dump_as_bytes(body), status)


def respond_json(data, status=200):
    """Return ``data``, bytes of JSON already made, as the response."""
    # The response itself rather than three trips through its proxy.
    response = pecan.core.state.response
    response.status = status
    response.content_type = 'application/json'
    response.body = data
    return pecan.response


def no_content():
    pecan.response.status = 204
    return pecan.response


def method_not_allowed(*allowed):
    """405 with ``Allow``; OPTIONS gets 204 with the same header (Heat)."""
    return faults.method_not_allowed(pecan.request.method, allowed)


_MAX_INT = 2 ** 63 - 1


def int_param(params, name):
    """A non-negative integer query parameter with Heat's messages."""
    value = params.get(name)
    if value in (None, ''):
        return None
    try:
        number = int(value)
    except ValueError:
        raise exception.BadRequest(
            message="Only integer is acceptable by '%s'." % name)
    if number < 0:
        raise exception.BadRequest(
            message="Value '%s' is invalid for '%s' which only accepts "
                    "non-negative integer." % (value, name))
    # Above 2**63 - 1 no database can compare it with an integer column
    # (SQLite's driver raised OverflowError: a 500).
    if number > _MAX_INT:
        raise exception.BadRequest(
            message="Value '%s' is too large for '%s' (at most %d)."
                    % (value, name, _MAX_INT))
    return number


def bool_param(params, name):
    value = params.get(name)
    if value in (None, ''):
        return False
    lowered = value.lower()
    if lowered not in ('true', 'false'):
        raise exception.BadRequest(
            message='Unrecognized value "%s" for "%s", acceptable values '
                    'are: true, false.' % (value, name))
    return lowered == 'true'


def page_limit(params):
    """``limit`` capped at ``[api] max_limit`` (the cap also when absent)."""
    limit = int_param(params, 'limit')
    max_limit = cfg.CONF.api.max_limit
    return max_limit if limit is None else min(limit, max_limit)
