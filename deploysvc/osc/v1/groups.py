"""``openstack software deployment group ...``: fleet rollouts.

A deployment group applies one config to many servers, a few at a time
(``--max-concurrency``), and stops releasing more once the failures
exceed ``--max-errors`` (doc/source/user/deployment-groups.rst).
"""

import json

from osc_lib.command import command
from osc_lib import exceptions

from deploysvc.osc.v1 import args

# The API's fields, in its order (api-ref "Show deployment group"), the
# counts flattened.
COLUMNS = ('id', 'config_id', 'action', 'input_values', 'max_concurrency',
           'max_errors', 'resolved_max_concurrency', 'resolved_max_errors',
           'timeout', 'delivery_timeout', 'status', 'status_reason',
           'status_reason_code', 'total', 'pending', 'in_progress',
           'complete', 'failed', 'cancelled', 'creation_time',
           'updated_time')
LIST_COLUMNS = ('id', 'config_id', 'status', 'total', 'pending',
                'in_progress', 'complete', 'failed', 'creation_time')
DEPLOYMENT_COLUMNS = ('id', 'server_id', 'status', 'status_reason_code',
                      'status_reason', 'updated_time')
STATUSES = ('IN_PROGRESS', 'COMPLETE', 'FAILED', 'CANCELLED')


def _flat(group):
    return dict(group, **(group.get('counts') or {}))


def _show(group):
    group = _flat(group)
    return COLUMNS, tuple(group.get(column) for column in COLUMNS)


def _limit(text):
    """A number, or a percentage of the servers ("25%")."""
    if text.endswith('%'):
        return text
    return int(text)


def _json_object(text):
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(text)
    return value


def _paging(parser):
    parser.add_argument(
        '--limit', metavar='<limit>', type=args.positive,
        help='At most this many (the server caps it at its [api] '
             'max_limit)')
    parser.add_argument(
        '--marker', metavar='<id>',
        help='The id of the last item of the previous page')


class CreateGroup(command.ShowOne):
    """Roll a config out to many servers, in waves.

    One deployment per server; at most --max-concurrency run at once, the
    next released as each ends; once more than --max-errors have failed
    (a deadline or a cancel counts as a failure) nothing more is released
    and the group is FAILED.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--config', metavar='<config>', required=True,
            help='ID of the software config')
        parser.add_argument(
            '--server', metavar='<server>', action='append', default=[],
            dest='servers', required=True,
            help='ID of a server (repeat for each; up to 10,000)')
        parser.add_argument(
            '--input-value', metavar='<key=value>', action='append',
            default=[], dest='input_values',
            help='An input value common to every server (repeat)')
        parser.add_argument(
            '--action', metavar='<action>', default='UPDATE',
            help='Name of the action (default UPDATE)')
        parser.add_argument(
            '--max-concurrency', metavar='<number or percent>',
            type=_limit, default=1,
            help='Deployments in progress at once: a number, or a '
                 'percentage of the servers, rounded up (at least 1; '
                 'default 1)')
        parser.add_argument(
            '--max-errors', metavar='<number or percent>', type=_limit,
            default=0,
            help='Failures tolerated before the group stops: a number, or '
                 'a percentage of the servers, rounded down (default 0)')
        parser.add_argument(
            '--timeout', metavar='<seconds>', type=int,
            help='Seconds each deployment may run once its server fetched '
                 'it (0: no deadline)')
        parser.add_argument(
            '--delivery-timeout', metavar='<seconds>', type=int,
            help='Seconds each released deployment may wait for its '
                 'server to fetch it (0: no deadline)')
        return parser

    def take_action(self, parsed_args):
        inputs = {}
        for pair in parsed_args.input_values:
            key, sep, value = pair.partition('=')
            if not sep:
                raise exceptions.CommandError(
                    '--input-value takes key=value, not %s' % pair)
            inputs[key] = value
        body = {'config_id': parsed_args.config,
                'servers': parsed_args.servers,
                'input_values': inputs, 'action': parsed_args.action,
                'max_concurrency': parsed_args.max_concurrency,
                'max_errors': parsed_args.max_errors}
        for name in ('timeout', 'delivery_timeout'):
            value = getattr(parsed_args, name)
            if value is not None:
                body[name] = value
        client = self.app.client_manager.software_deployment
        return _show(client.create_group(body))


class _GroupCommand(command.ShowOne):

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'group', metavar='<group>', help='ID of the deployment group')
        return parser


class ShowGroup(_GroupCommand):
    """Show a deployment group: its status, the reason, its counts."""

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        return _show(client.get_group(parsed_args.group))


class CancelGroup(_GroupCommand):
    """Cancel a deployment group.

    Nothing more is released; the deployments not released yet become
    FAILED (reason code CANCELLED) without running, those in progress
    are cancelled as ``openstack software deployment cancel`` does.
    """

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        return _show(client.cancel_group(parsed_args.group))


class ListGroups(command.Lister):
    """List deployment groups, oldest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--status', metavar='<status>', choices=STATUSES,
            help='Only the groups of this status')
        _paging(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        groups = client.list_groups(status=parsed_args.status,
                                    limit=parsed_args.limit,
                                    marker=parsed_args.marker)
        return LIST_COLUMNS, [
            tuple(_flat(group).get(column) for column in LIST_COLUMNS)
            for group in groups]


class DeleteGroup(command.Command):
    """Delete deployment groups and their deployments.

    Refused while a group is in progress unless --force, which cancels
    it first.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'groups', metavar='<group>', nargs='+',
            help='ID of a deployment group (repeat for several)')
        parser.add_argument(
            '--force', action='store_true',
            help='Cancel the deployments in progress first')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        failed = 0
        for group_id in parsed_args.groups:
            try:
                client.delete_group(group_id, force=parsed_args.force)
            except exceptions.CommandError as e:
                failed += 1
                self.app.stderr.write('%s: %s\n' % (group_id, e))
        if failed:
            raise exceptions.CommandError(
                'Unable to delete %d of the %d deployment groups.'
                % (failed, len(parsed_args.groups)))


class ListGroupDeployments(command.Lister):
    """List the deployments of a deployment group, in the group's order."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'group', metavar='<group>', help='ID of the deployment group')
        parser.add_argument(
            '--status', metavar='<status>',
            choices=('IN_PROGRESS', 'COMPLETE', 'FAILED'),
            help='Only the deployments of this status')
        _paging(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        deployments = client.list_group_deployments(
            parsed_args.group, status=parsed_args.status,
            limit=parsed_args.limit, marker=parsed_args.marker)
        return DEPLOYMENT_COLUMNS, [
            tuple(deployment.get(column) for column in DEPLOYMENT_COLUMNS)
            for deployment in deployments]
