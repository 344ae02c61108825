"""Options of notifications: oslo.messaging's own groups.

``[oslo_messaging_notifications]`` (driver, transport_url, topics, retry)
and, for the RabbitMQ driver, ``[oslo_messaging_rabbit]``: oslo.messaging
declares them and lists them through its public ``oslo_messaging.opts``
entry point; they are registered here so that they show in the sample
config and are readable before the first notification.  With no
``driver`` (the default) nothing is sent.
"""

from oslo_messaging import opts as messaging_opts

# oslo.messaging's groups that deploysvc uses; DEFAULT's transport_url is
# what the notifications' own transport_url falls back to.
_GROUPS = ('oslo_messaging_notifications', 'oslo_messaging_rabbit')


def _messaging_opts():
    found = {}
    for group, opts in messaging_opts.list_opts():
        if group in _GROUPS:
            found[group] = list(opts)
        elif group is None or group == 'DEFAULT':
            found['DEFAULT'] = [opt for opt in opts
                                if opt.dest == 'transport_url']
    return found


def register_opts(conf):
    for group, opts in _messaging_opts().items():
        conf.register_opts(opts, group=None if group == 'DEFAULT'
                           else group)


def list_opts():
    return _messaging_opts()
