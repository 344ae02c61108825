"""The v1 API through a keystoneauth adapter: the calls the commands make.

Only deploysvc's extensions are here; configs and deployments are
heatclient's (``openstack software config|deployment``).
"""

import urllib.parse

from keystoneauth1 import adapter
from osc_lib import exceptions

from deploysvc.osc import plugin


def _id(value):
    """``value`` as one URL segment ("/" and "?" escaped)."""
    return urllib.parse.quote(value, safe='')


def _message(response):
    """The API's message of an error answer (Heat's error body)."""
    try:
        return response.json()['error']['message']
    except (ValueError, KeyError, TypeError):
        return '%s %s' % (response.status_code, response.reason)


class Client(object):
    """deploysvc v1 on the catalog's ``software-deployment`` endpoint.

    ``version='1'`` makes keystoneauth run version discovery: it strips
    the project id from the catalog URL (``.../v1/<project id>``), reads
    the version document at ``.../v1/`` (or the root) and puts the
    project id back.
    """

    def __init__(self, session, interface=None, region_name=None,
                 endpoint_override=None):
        self.adapter = adapter.Adapter(
            session, service_type=plugin.SERVICE_TYPE, interface=interface,
            region_name=region_name, endpoint_override=endpoint_override,
            version='1')

    def _call(self, method, path, **kwargs):
        response = self.adapter.request(path, method, raise_exc=False,
                                        **kwargs)
        if response.status_code >= 400:
            raise exceptions.CommandError(_message(response))
        return response.json() if response.content else None

    def rotate_agent(self, server_id):
        return self._call('POST', '/server_agents/%s' % _id(server_id))[
            'server_agent']

    def get_agent(self, server_id):
        return self._call('GET', '/server_agents/%s' % _id(server_id))[
            'server_agent']

    def delete_agent(self, server_id):
        self._call('DELETE', '/server_agents/%s' % _id(server_id))

    def list_events(self, deployment_id, limit=None, marker=None):
        """One page of at most ``limit`` events; without it, all of them.

        The server cuts a page at its ``[api] max_limit`` and says so with
        ``events_links``: without a limit the pages are followed (with
        the last event's id as marker) to the end of the history.
        """
        path = '/software_deployments/%s/events' % _id(deployment_id)
        params = dict((key, value) for key, value in
                      (('limit', limit), ('marker', marker))
                      if value is not None)
        body = self._call('GET', path, params=params)
        events = body['events']
        while limit is None and body.get('events_links') and body['events']:
            body = self._call('GET', path,
                              params={'marker': body['events'][-1]['id']})
            events.extend(body['events'])
        return events

    def cancel_deployment(self, deployment_id):
        return self._call('POST', '/software_deployments/%s/cancel'
                          % _id(deployment_id))['software_deployment']

    def get_deployment(self, deployment_id):
        return self._call('GET', '/software_deployments/%s'
                          % _id(deployment_id))['software_deployment']

    # Deployment groups (fleet rollouts).

    def create_group(self, body):
        return self._call('POST', '/software_deployment_groups',
                          json=body)['software_deployment_group']

    def get_group(self, group_id):
        return self._call('GET', '/software_deployment_groups/%s'
                          % _id(group_id))['software_deployment_group']

    def list_groups(self, status=None, limit=None, marker=None):
        params = dict((key, value) for key, value in
                      (('status', status), ('limit', limit),
                       ('marker', marker)) if value is not None)
        return self._call('GET', '/software_deployment_groups',
                          params=params)['software_deployment_groups']

    def cancel_group(self, group_id):
        return self._call('POST', '/software_deployment_groups/%s/cancel'
                          % _id(group_id))['software_deployment_group']

    def delete_group(self, group_id, force=False):
        params = {'force': 'true'} if force else {}
        self._call('DELETE', '/software_deployment_groups/%s'
                   % _id(group_id), params=params)

    def list_group_deployments(self, group_id, status=None, limit=None,
                               marker=None):
        params = dict((key, value) for key, value in
                      (('status', status), ('limit', limit),
                       ('marker', marker)) if value is not None)
        return self._call('GET', '/software_deployment_groups/%s/deployments'
                          % _id(group_id),
                          params=params)['software_deployments']
