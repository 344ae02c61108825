"""``openstack software agent create|show|delete``: a server's agent URL.

The metadata URL is a secret (whoever holds it reads every config and
input value deployed to the server): it is printed, never logged.
"""

import logging

from osc_lib.command import command
from osc_lib import exceptions

COLUMNS = ('server_id', 'metadata_url', 'created_at', 'agent_last_seen')

LOG = logging.getLogger(__name__)


def _row(agent):
    return COLUMNS, tuple(agent.get(column) for column in COLUMNS)


class _AgentCommand(command.ShowOne):

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'server', metavar='<server>',
            help='ID of the server (opaque to deploysvc: the server_id of '
                 'its deployments)')
        return parser


class CreateAgent(_AgentCommand):
    """Create or rotate a server's agent URL.

    The previous metadata URL and every signal URL derived from it stop
    working: give the server's agent the new one.
    """

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        return _row(client.rotate_agent(parsed_args.server))


class ShowAgent(_AgentCommand):
    """Show a server's agent URL."""

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        return _row(client.get_agent(parsed_args.server))


class DeleteAgent(command.Command):
    """Revoke the agent URLs of servers (deployments are kept)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'servers', metavar='<server>', nargs='+',
            help='ID of a server whose agent URLs to revoke')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        failed = 0
        for server in parsed_args.servers:
            try:
                client.delete_agent(server)
            except exceptions.CommandError as e:
                failed += 1
                LOG.error('%s: %s', server, e)
        if failed:
            raise exceptions.CommandError(
                'Unable to revoke %d of the %d agent URLs.'
                % (failed, len(parsed_args.servers)))
