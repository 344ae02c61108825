"""The plugin module: openstackclient's global option and the client."""

import argparse
from unittest import mock

import ddt
import fixtures
from osc_lib import exceptions
import testtools

from deploysvc.osc import plugin
from deploysvc.osc.v1 import client


def manager(config=None, version='1'):
    """What openstackclient's client manager gives make_client."""
    instance = mock.Mock(interface='internal', region_name='RegionTwo',
                         _api_version={plugin.API_NAME: version})
    instance.get_configuration.return_value = dict(config or {})
    return instance


@ddt.ddt
class TestPlugin(testtools.TestCase):

    @ddt.data(({}, [], '1'),
              ({'OS_SOFTWARE_DEPLOYMENT_API_VERSION': '1'}, [], '1'),
              ({}, ['--os-software-deployment-api-version', '1'], '1'))
    @ddt.unpack
    def test_api_version_option(self, env, args, version):
        for name in ('OS_SOFTWARE_DEPLOYMENT_API_VERSION',):
            self.useFixture(fixtures.EnvironmentVariable(
                name, env.get(name)))
        parser = plugin.build_option_parser(argparse.ArgumentParser())
        self.assertEqual(version, parser.parse_args(
            args).os_software_deployment_api_version)

    @ddt.data(({}, None),
              ({'software_deployment_endpoint_override':
                'https://d.example.com/v1/%(project_id)s'},
               'https://d.example.com/v1/%(project_id)s'))
    @ddt.unpack
    def test_make_client(self, config, override):
        instance = manager(config)
        made = plugin.make_client(instance)
        self.assertIsInstance(made, client.Client)
        self.assertEqual(
            ('software-deployment', 'internal', 'RegionTwo', override,
             '1'),
            (made.adapter.service_type, made.adapter.interface,
             made.adapter.region_name, made.adapter.endpoint_override,
             made.adapter.version))
        self.assertIs(instance.session, made.adapter.session)

    def test_unknown_version(self):
        self.assertRaises(exceptions.UnsupportedVersion, plugin.make_client,
                          manager(version='2'))
