"""The ``openstack.cli.extension`` entry point of deploysvc.

openstackclient loads this module for the entry point named
``software_deployment``: ``API_NAME`` must be that name, the client is
then ``client_manager.software_deployment`` and the commands are those of
the entry point group ``openstack.software_deployment.v<N>``.
"""

import logging

from osc_lib import utils

LOG = logging.getLogger(__name__)

API_NAME = 'software_deployment'
API_VERSION_OPTION = 'os_software_deployment_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = {
    '1': 'deploysvc.osc.v1.client.Client',
}
# The catalog's service type of deploysvc.  Not "orchestration": in a
# cloud with Heat that type is Heat's, and keystoneauth would pick either.
SERVICE_TYPE = 'software-deployment'


def make_client(instance):
    """The deploysvc client of openstackclient's client manager.

    A keystoneauth adapter on the client manager's session: the endpoint
    comes from the catalog (``SERVICE_TYPE``, the cloud's interface and
    region) or from ``software_deployment_endpoint_override`` in
    clouds.yaml; TLS options are the session's.
    """
    # ``_api_version`` is the plugin interface of openstackclient (its
    # own clients and heatclient read it the same way): the version that
    # ``--os-software-deployment-api-version`` chose.
    cls = utils.get_client_class(
        API_NAME, instance._api_version[API_NAME], API_VERSIONS)
    LOG.debug('Instantiating the software deployment client: %s', cls)
    override = instance.get_configuration().get(
        SERVICE_TYPE.replace('-', '_') + '_endpoint_override')
    return cls(session=instance.session, interface=instance.interface,
               region_name=instance.region_name, endpoint_override=override)


def build_option_parser(parser):
    """openstackclient's global option ``--os-software-deployment-...``."""
    parser.add_argument(
        '--os-software-deployment-api-version',
        metavar='<software-deployment-api-version>',
        default=utils.env('OS_SOFTWARE_DEPLOYMENT_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='deploysvc API version, default=%s '
             '(Env: OS_SOFTWARE_DEPLOYMENT_API_VERSION)'
             % DEFAULT_API_VERSION)
    return parser
