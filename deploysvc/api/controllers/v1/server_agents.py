"""/v1/{tenant_id}/server_agents/{server_id}: a server's agent URLs.

``POST`` creates or rotates the capability URL the server's
os-collect-config polls (the previous URL and every signal URL derived from
it stop working), ``GET`` shows it, ``DELETE`` revokes it.
"""

import pecan

from deploysvc.agent import tokens
from deploysvc.agent import urls
from deploysvc.api.controllers import util
from deploysvc.db import agents
from deploysvc import exception
from deploysvc.policies import server_agents as policies
from deploysvc import views


def _view(row):
    return {'server_agent': views.server_agent(
        row, urls.metadata_url(urls.base_url(pecan.request.environ), row))}


class ServerAgentController(util.Controller):

    ids = ('server_id',)

    @util.handles('GET', policies.SHOW)
    def show(self, context):
        return util.respond(_view(agents.get(context, self.server_id)))

    @util.handles('POST', policies.ROTATE)
    def rotate(self, context):
        if len(self.server_id) > 36:
            raise exception.Invalid(
                reason='"server_id" should be no more than 36 characters')
        secret = tokens.new_secret()
        return util.respond(_view(agents.rotate(
            context, self.server_id, secret, tokens.hasher(secret))))

    @util.handles('DELETE', policies.DELETE)
    def delete(self, context):
        agents.delete(context, self.server_id)
        return util.no_content()
