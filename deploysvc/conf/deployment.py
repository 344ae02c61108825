"""Options of the [deployment] group: deadlines and delivery."""

from oslo_config import cfg

GROUP = 'deployment'

opts = [
    cfg.IntOpt('delivery_timeout',
               default=3600,
               min=0,
               help='Seconds a new deployment, or a new action of one, may '
                    'wait for its server\'s agent to fetch it, when neither '
                    'the request nor the config\'s options say. Past it the '
                    'deployment is FAILED with reason code '
                    'TIMED_OUT_DELIVERY. An hour covers a server\'s boot '
                    'and the first polls of its agent; 0 means no deadline.'),
    cfg.IntOpt('timeout',
               default=14400,
               min=0,
               help='Seconds a delivered deployment may run before its '
                    'result must arrive (a signal, or an update to COMPLETE '
                    'or FAILED), when neither the request nor the config\'s '
                    'options say. Past it the deployment is FAILED with '
                    'reason code TIMED_OUT_EXECUTION. Four hours leave room '
                    'for long Puppet or Ansible runs; 0 means no deadline.'),
    cfg.IntOpt('agent_seen_interval',
               default=60,
               min=1,
               help='Seconds between two records of an agent\'s last poll '
                    '(agent_last_seen of the server agent). A poll answered '
                    '304 writes nothing unless the last record is older, so '
                    'each server costs at most one write per interval.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
