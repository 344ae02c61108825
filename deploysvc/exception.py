"""Domain exceptions.

Every error a client can see is raised as a subclass of
:class:`DeploySvcException`.  The class carries the HTTP status (``code``) and
the ``error.type`` string of Heat's error body (``error_type``, defaulting to
the class name); the API's error hook turns it into the response in exactly
one place.
"""


class DeploySvcException(Exception):
    """Base class; ``msg_fmt`` is interpolated with the keyword arguments."""

    msg_fmt = "An unknown exception occurred."
    code = 500
    error_type = None

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.msg_fmt % kwargs
        self.message = str(message)
        super().__init__(self.message)

    @property
    def type(self):
        return self.error_type or type(self).__name__

    @property
    def headers(self):
        """Headers the error response carries besides the body's."""
        return ()


class Invalid(DeploySvcException):
    msg_fmt = "Data supplied was not valid: %(reason)s"
    code = 400


class BadRequest(DeploySvcException):
    msg_fmt = ("The server could not comply with the request since it is "
               "either malformed or otherwise incorrect.")
    code = 400
    error_type = 'HTTPBadRequest'


class InvalidConfigIO(DeploySvcException):
    """An input or output declaration of a software config is invalid."""

    msg_fmt = "%(reason)s"
    code = 400
    error_type = 'ValueError'


class InvalidSchemaError(DeploySvcException):
    msg_fmt = "%(message)s"
    code = 400


class RequestLimitExceeded(DeploySvcException):
    msg_fmt = "Request limit exceeded: %(message)s"
    code = 400


class Forbidden(DeploySvcException):
    msg_fmt = "You are not authorized to use %(action)s."
    code = 403


class TenantForbidden(DeploySvcException):
    """The URL's project is not the caller's project."""

    msg_fmt = "Access was denied to this resource."
    code = 403
    error_type = 'HTTPForbidden'


class NotFound(DeploySvcException):
    msg_fmt = "The resource could not be found."
    code = 404


class ConfigNotFound(NotFound):
    msg_fmt = "Software config with id %(config_id)s not found"
    error_type = 'NotFound'


class DeploymentNotFound(NotFound):
    msg_fmt = "Deployment with id %(deployment_id)s not found"
    error_type = 'NotFound'


class Conflict(DeploySvcException):
    msg_fmt = "The request conflicts with the current state of the resource."
    code = 409


class InvalidRestrictedAction(Conflict):
    msg_fmt = ("Software config with id %(config_id)s can not be deleted as "
               "it is referenced.")


class DeploymentExists(Conflict):
    """A create named an id (``id`` in the body) that is taken."""

    msg_fmt = "Deployment with id %(deployment_id)s already exists"


class IdempotencyKeyReused(DeploySvcException):
    """The key of a stored create came with another request body."""

    msg_fmt = ("This %(header)s was used for a different request; send a "
               "new key for a new request.")
    code = 422
    error_type = 'HTTPUnprocessableEntity'


class PreconditionFailed(DeploySvcException):
    """``If-Match`` names a version that is no longer the current one."""

    msg_fmt = ("The deployment %(deployment_id)s has changed since the "
               "version named in If-Match; read it again.")
    code = 412
    error_type = 'HTTPPreconditionFailed'


class DatabaseUnavailable(DeploySvcException):
    """The database cannot be reached: nothing was done, retry later.

    A database outage is the client's to wait out, not a fault of the
    request: 503 with ``Retry-After``, as an HTTP client or a load balancer
    expects, rather than a 500.
    """

    # Seconds: about what a database restart or a Galera node's failover
    # takes, so that a client retrying at once does not add to the load.
    retry_after = 5
    msg_fmt = ("The database is unavailable; retry in %(retry_after)d "
               "seconds.")
    code = 503
    error_type = 'HTTPServiceUnavailable'

    def __init__(self):
        super().__init__(retry_after=self.retry_after)

    @property
    def headers(self):
        return (('Retry-After', str(self.retry_after)),)


class GroupNotFound(NotFound):
    msg_fmt = "Deployment group with id %(group_id)s not found"
    error_type = 'NotFound'


class AgentNotFound(NotFound):
    msg_fmt = "No agent URL for server %(server_id)s"
    error_type = 'NotFound'


class StaleSignal(Conflict):
    """A signal sent to the URL of an earlier run of the deployment."""

    msg_fmt = ("Signal refused: this signal URL is for run %(run)s of "
               "deployment %(deployment_id)s, which is at run "
               "%(current)s. A new action or re-run started since; the "
               "signal was recorded in the deployment's events, not "
               "applied.")


class SecretsNotConfigured(BadRequest):
    """A secret input, on a service that has no key to encrypt it with."""

    msg_fmt = ("Secret inputs need [crypto] encryption_keys: this service "
               "has no key to encrypt them with, so it stores none. Ask "
               "the operator to configure one, or drop \"secret\": true.")
    error_type = 'BadRequest'


class SecretsUnreadable(DeploySvcException):
    """Stored secrets that no configured key decrypts (keys were changed).

    The start-up check makes this rare (it decrypts a sample of each kind
    of secret); ``deploysvc-status upgrade check`` counts every one.
    """

    msg_fmt = ("A stored secret cannot be decrypted with any key of "
               "[crypto] encryption_keys. The operator must restore the "
               "key it was encrypted with (see \"deploysvc-status upgrade "
               "check\").")
    code = 503
    error_type = 'HTTPServiceUnavailable'


class EncryptionKeysInvalid(Exception):
    """[crypto] encryption_keys cannot serve the stored secrets.

    Raised at start-up (and by the upgrade check), never to a client.
    """
