"""``openstack software deployment cancel|state show``: a deployment's run.

heatclient's ``openstack software deployment show`` prints Heat's fields
only; ``state show`` prints deploysvc's too (status_reason_code, the
deadlines, the delivery), and cancel is deploysvc's own.
"""

from osc_lib.command import command

# The API's fields, in its order (api-ref "Show deployment").
COLUMNS = ('id', 'server_id', 'config_id', 'input_values', 'output_values',
           'action', 'status', 'status_reason', 'creation_time',
           'updated_time', 'status_reason_code', 'delivery_timeout',
           'timeout', 'delivered_at', 'deadline_at')


class _DeploymentCommand(command.ShowOne):

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'deployment', metavar='<deployment>',
            help='ID of the deployment')
        return parser


class ShowState(_DeploymentCommand):
    """Show a deployment with its run's state.

    Its status with the reason code, its deadlines (timeout,
    delivery_timeout, deadline_at) and when its server's agent fetched it
    (delivered_at): what "why is my deployment stuck?" needs.
    """

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        deployment = client.get_deployment(parsed_args.deployment)
        return COLUMNS, tuple(deployment.get(column) for column in COLUMNS)


class CancelDeployment(_DeploymentCommand):
    """Cancel an IN_PROGRESS deployment.

    It becomes FAILED with reason code CANCELLED.  If its server's agent
    has not fetched it yet it is no longer served and never runs; if it
    has, the agent's result is recorded in the events but ignored.
    """

    def take_action(self, parsed_args):
        client = self.app.client_manager.software_deployment
        deployment = client.cancel_deployment(parsed_args.deployment)
        return COLUMNS, tuple(deployment.get(column) for column in COLUMNS)
