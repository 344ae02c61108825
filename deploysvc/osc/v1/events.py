"""``openstack software deployment event list``: a deployment's history."""

from osc_lib.cli import format_columns
from osc_lib.command import command

from deploysvc.osc.v1 import args

# The API's fields, in its order (api-ref "List deployment events").
COLUMNS = ('id', 'deployment_id', 'time', 'source', 'actor', 'status_from',
           'status_to', 'applied', 'reason', 'reason_code', 'details')
# A signal's details are the agent's body: a mapping in json/yaml, "k='v'"
# pairs in a table.
FORMATTERS = {'details': format_columns.DictColumn}


class ListEvents(command.Lister):
    """List a deployment's events, newest first.

    Every create or update that set a status (source "api") and every
    signal of its agent (source "signal", "applied" false when it was
    ignored).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'deployment', metavar='<deployment>',
            help='ID of the deployment')
        parser.add_argument(
            '--limit', metavar='<limit>', type=args.positive,
            help='At most this many events (the server caps it at its '
                 '[api] max_limit)')
        parser.add_argument(
            '--marker', metavar='<event-id>', type=int,
            help='The id of the last event of the previous page: list the '
                 'older events')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        events = client.list_events(parsed_args.deployment,
                                    limit=parsed_args.limit,
                                    marker=parsed_args.marker)
        return COLUMNS, [
            tuple(FORMATTERS[column](event.get(column))
                  if column in FORMATTERS and event.get(column) is not None
                  else event.get(column) for column in COLUMNS)
            for event in events]
