"""deploysvc's openstackclient plugin: ``openstack software agent|...``.

A client layer: it imports osc-lib and keystoneauth, never the service's
code (deploysvc.api, .agent, .db), so the server never needs osc-lib and
the plugin works against any deploysvc (see tests/unit/test_layers.py).
"""
