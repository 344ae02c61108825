"""The WSGI application: the Pecan app inside the paste pipeline.

The middleware pipeline is declared once, in ``api-paste.ini`` (found next
to the configuration files, else the copy shipped in ``etc/deploysvc``); its
pipelines ``deploysvc-keystone`` and ``deploysvc-noauth`` are chosen by
``[DEFAULT] auth_strategy``.
"""

import os
import sys

from oslo_config import cfg
from oslo_log import log as logging
from paste import deploy
import pecan
import webob

from deploysvc.api.controllers import root
from deploysvc.api import hooks
from deploysvc.api import validation
from deploysvc import conf
from deploysvc.conf import opts
from deploysvc.db import engine as db_engine
from deploysvc.db import migration
from deploysvc.db import secrets
from deploysvc import policy
from deploysvc import version

LOG = logging.getLogger(__name__)

CONF = conf.CONF

_PACKAGED_PASTE = os.path.join(os.path.dirname(__file__), '..', '..', 'etc',
                               'deploysvc', 'api-paste.ini')


class Request(webob.Request):
    """The request: its JSON body is decoded once, for Pecan and for us.

    A WebOb request, not ``pecan.Request``: that one routes every attribute
    access through a Python ``__getattribute__`` (to turn an undecodable URL
    or query string into a 400), which cost about a tenth of a request's
    CPU.  ``hooks.ErrorHook`` gives the same 400 for those.
    """

    json = json_body = property(validation.pecan_json,
                                webob.Request.json_body.fset,
                                webob.Request.json_body.fdel)


class Application(pecan.Pecan):
    """Pecan, routing through ``v1.ROUTES`` and calling handlers as they are.

    Pecan inspects a function's signature on every request it routes or
    calls: ``pecan.routing.find_object`` that of a controller's ``_route``
    and ``Pecan.invoke_controller`` that of the handler, each time with
    ``inspect.getfullargspec`` and a new ``namedtuple`` class (58 us each
    here, and the classes are garbage for the cycle collector).  Two of
    them were 0.20-0.25 ms of a 0.35 ms deployment show in-process (best of
    5 rounds of 300, PostgreSQL), a 20-35 % regression over memoizing them.
    The inspections only serve features deploysvc does not use: a
    ``_route`` signature of an older Pecan, and dropping query arguments a
    handler does not take (none of ours takes any).  So these two public
    methods of Pecan's application class are overridden:

    * ``route`` asks the root controller's router (``RootController.route``,
      which reads ``v1.ROUTES``) instead of walking the controllers;
    * ``invoke_controller`` calls the handler, which always returns its
      WebOb response (``util.respond``, ``util.no_content``,
      ``util.method_not_allowed``) or raises.

    Everything else (hooks, the request and response, error handling) is
    Pecan's own.
    """

    def route(self, req, node, path):
        return node.route(req, path), ()

    def invoke_controller(self, controller, args, kwargs, state):
        result = controller(*args)
        if result is pecan.response:
            return
        if not isinstance(result, webob.Response):
            raise TypeError('%s returned %r, not a response'
                            % (controller.__qualname__, type(result)))
        state.response = result


def setup_app():
    """The bare Pecan application (no middleware)."""
    policy.init(CONF)
    db_engine.configure(CONF)
    # Keys that cannot read the stored secrets stop the start here, not a
    # request later.
    secrets.check_keys()
    return Application(root.RootController(),
                       hooks=[hooks.ContextHook(), hooks.ErrorHook()],
                       guess_content_type_from_ext=False,
                       force_canonical=False,
                       request_cls=Request)


def app_factory(global_config, **local_conf):
    """paste.app_factory of the API application."""
    return setup_app()


def _paste_file():
    name = CONF.api.api_paste_config
    found = CONF.find_file(name) if not os.path.isabs(name) else name
    if found and os.path.exists(found):
        return os.path.abspath(found)
    for candidate in (_PACKAGED_PASTE,
                      os.path.join(sys.prefix, 'etc', 'deploysvc',
                                   'api-paste.ini')):
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    raise cfg.ConfigFilesNotFoundError([name])


def load_app():
    """The full pipeline for ``[DEFAULT] auth_strategy``."""
    paste_file = _paste_file()
    LOG.info('Loading pipeline deploysvc-%s from %s', CONF.auth_strategy,
             paste_file)
    return deploy.loadapp('config:%s' % paste_file,
                          name='deploysvc-%s' % CONF.auth_strategy)


def prepare_service(argv=None, default_config_files=None):
    """Parse options and set up logging (once per process)."""
    opts.set_lib_defaults()
    CONF(argv if argv is not None else sys.argv[1:], project='deploysvc',
         version=version.version_string(),
         default_config_files=default_config_files)
    logging.setup(CONF, 'deploysvc')


def init_application(argv=None):
    """Entry of WSGI servers: configure, optionally migrate, build."""
    prepare_service(argv if argv is not None else [])
    db_engine.configure(CONF)
    if CONF.api.sync_db_on_startup:
        sync_db()
    return load_app()


def sync_db():
    if CONF.database.connection.startswith('sqlite:///'):
        path = CONF.database.connection[len('sqlite:///'):]
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
    migration.upgrade('head')
