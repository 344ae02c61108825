"""Safe retries: Idempotency-Key on creates, client-chosen deployment ids.

See doc/source/contributor/behaviour.rst, behaviour-idempotency.
"""

import datetime
import hashlib
import json

import ddt
import fixtures
from oslo_utils import uuidutils
import webtest

from deploysvc.db import idempotency
from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import deployments_base
from deploysvc.tests import utils

KEY = 'Idempotency-Key'
OWN_ID = '6f1a3c0e-2b7d-4e59-9a8c-0d4e5f6a7b8c'


@ddt.ddt
class TestIdempotencyKey(deployments_base.DeploymentTestCase):

    def keyed(self, key, **kw):
        return self.headers(**dict(kw, **{KEY: key}))

    def config(self, **kw):
        return utils.config_body(**dict({'name': 'c'}, **kw))

    def deployment(self, **kw):
        return utils.deployment_body(self.sc.id, **kw)

    def group(self, **kw):
        return dict({'config_id': self.sc.id, 'servers': ['s-1', 's-2']},
                    **kw)

    def count(self, collection):
        return len(self.get('/' + collection, status=200).json[collection])

    @ddt.data(('software_configs', 'software_config', 'config'),
              ('software_deployments', 'software_deployment', 'deployment'),
              ('software_deployment_groups', 'software_deployment_group',
               'group'))
    @ddt.unpack
    def test_replay_is_the_original_answer(self, collection, key, make):
        body = getattr(self, make)()
        before = self.count(collection)
        first = self.post('/' + collection, body, status=200,
                          headers=self.keyed('k-1'))
        again = self.post('/' + collection, body, status=200,
                          headers=self.keyed('k-1'))
        self.assertEqual(first.body, again.body)
        self.assertEqual(first.headers['Location'], again.headers['Location'])
        self.assertNotIn('Idempotent-Replayed', first.headers)
        self.assertEqual('true', again.headers['Idempotent-Replayed'])
        self.assertEqual(before + 1, self.count(collection))
        # Another key is another create.
        other = self.post('/' + collection, body, status=200,
                          headers=self.keyed('k-2'))
        self.assertNotEqual(first.json[key]['id'], other.json[key]['id'])
        self.assertEqual(before + 2, self.count(collection))

    def test_group_replay_starts_no_second_rollout(self):
        body = self.group(servers=['s-%d' % i for i in range(5)])
        self.post('/software_deployment_groups', body, status=200,
                  headers=self.keyed('k'))
        before = self.count('software_deployments')
        self.post('/software_deployment_groups', body, status=200,
                  headers=self.keyed('k'))
        self.assertEqual(before, self.count('software_deployments'))

    def test_replay_ignores_spacing_and_key_order(self):
        body = self.deployment(action='CREATE', status='IN_PROGRESS')
        first = self.post('/software_deployments', body, status=200,
                          headers=self.keyed('k'))
        reordered = json.dumps(dict(reversed(list(body.items()))),
                               indent=3).encode()
        again = self.post('/software_deployments', reordered, status=200,
                          headers=self.keyed('k'))
        self.assertEqual(first.body, again.body)

    @ddt.data(('software_configs', 'config', {'name': 'other'}),
              ('software_deployments', 'deployment', {'action': 'UPDATE'}),
              ('software_deployment_groups', 'group',
               {'servers': ['s-1', 's-3']}))
    @ddt.unpack
    def test_same_key_other_body_is_422(self, collection, make, change):
        self.post('/' + collection, getattr(self, make)(), status=200,
                  headers=self.keyed('k'))
        before = self.count(collection)
        response = self.post('/' + collection, getattr(self, make)(**change),
                             headers=self.keyed('k'))
        self.assertError(
            response, 422, 'HTTPUnprocessableEntity',
            'This Idempotency-Key was used for a different request; send a '
            'new key for a new request.')
        self.assertEqual(before, self.count(collection))

    def test_key_on_another_route_is_another_request(self):
        self.post('/software_configs', self.config(), status=200,
                  headers=self.keyed('k'))
        response = self.post('/software_deployments', self.deployment(),
                             headers=self.keyed('k'))
        self.assertError(response, 422, 'HTTPUnprocessableEntity')

    def test_keys_are_per_project(self):
        mine = self.post('/software_configs', self.config(), status=200,
                         headers=self.keyed('k'))
        other = test_base.OTHER_PROJECT
        theirs = self.post('/software_configs', self.config(), status=200,
                           project_id=other,
                           headers=self.keyed('k', project_id=other))
        self.assertNotEqual(mine.json['software_config']['id'],
                            theirs.json['software_config']['id'])

    def test_keys_differ_by_case(self):
        # (MySQL's default collation would have taken them for one.)
        first = self.post('/software_configs', self.config(), status=200,
                          headers=self.keyed('Key'))
        second = self.post('/software_configs', self.config(), status=200,
                           headers=self.keyed('key'))
        self.assertNotEqual(first.json['software_config']['id'],
                            second.json['software_config']['id'])

    def test_failures_are_not_kept(self):
        missing = self.deployment()
        missing['config_id'] = uuidutils.generate_uuid()
        self.post('/software_deployments', missing, status=404,
                  headers=self.keyed('k'))
        # The same key and body again are run again...
        self.post('/software_deployments', missing, status=404,
                  headers=self.keyed('k'))
        # ... and the key is still free for another request.
        self.post('/software_deployments', self.deployment(), status=200,
                  headers=self.keyed('k'))

    def test_expired_key_is_free_again(self):
        body = self.config()
        first = self.post('/software_configs', body, status=200,
                          headers=self.keyed('k'))
        self.clock.advance_time_delta(datetime.timedelta(days=1, seconds=1))
        again = self.post('/software_configs', body, status=200,
                          headers=self.keyed('k'))
        self.assertNotEqual(first.json['software_config']['id'],
                            again.json['software_config']['id'])
        self.assertNotIn('Idempotent-Replayed', again.headers)

    def test_expired_keys_are_purged(self):
        self.useFixture(fixtures.MockPatchObject(
            idempotency, 'last_purge', {'at': 0.0}))
        self.post('/software_configs', self.config(), status=200,
                  headers=self.keyed('old'))
        self.clock.advance_time_delta(datetime.timedelta(days=2))
        self.assertEqual(1, idempotency.purge_if_due(clock=lambda: 1e12))
        # Not again before PURGE_INTERVAL has passed.
        self.assertEqual(0, idempotency.purge_if_due(clock=lambda: 1e12))

    @ddt.data('', 'x' * 256, 'caf\xe9', 'a\tb', '\x7f')
    def test_bad_key_is_400(self, key):
        response = self.post('/software_configs', self.config(),
                             headers=self.keyed(key))
        self.assertError(
            response, 400, 'HTTPBadRequest',
            'Invalid Idempotency-Key header: 1 to 255 printable ASCII '
            'characters are expected.')

    def test_replay_needs_the_create_policy(self):
        self.post('/software_configs', self.config(), status=200,
                  headers=self.keyed('k'))
        response = self.post('/software_configs', self.config(),
                             headers=self.keyed('k', roles='reader'))
        self.assertEqual(403, response.status_int)


class TestConcurrentKeys(deployments_base.DeploymentTestCase):
    """Eight creates with one key at once: one row, eight equal answers."""

    threads = 8
    database_threads = True

    def post_from_thread(self, collection, body):
        client = webtest.TestApp(self.app.app)
        response = client.post(
            self.url('/' + collection), json.dumps(body).encode(),
            content_type='application/json', expect_errors=True,
            headers=self.headers(**{KEY: 'storm-' + collection}))
        return response.status_int, response.body

    def test_one_row_identical_answers(self):
        for collection, body in (
                ('software_configs', utils.config_body(name='storm')),
                ('software_deployments',
                 utils.deployment_body(self.sc.id, server_id='storm'))):
            before = len(self.get('/' + collection, status=200).json[
                collection])
            results = utils.run_concurrently(
                self.threads,
                lambda i: self.post_from_thread(collection, body))
            self.assertEqual(['ok'] * self.threads,
                             [kind for kind, _ in results], results)
            answers = set(answer for _, answer in results)
            self.assertEqual({200}, set(status for status, _ in answers),
                             answers)
            self.assertEqual(1, len(answers), answers)
            self.assertEqual(before + 1, len(self.get(
                '/' + collection, status=200).json[collection]))


@ddt.ddt
class TestChosenId(deployments_base.DeploymentTestCase):

    @ddt.data((OWN_ID, OWN_ID),
              (OWN_ID.upper(), OWN_ID),
              (OWN_ID.replace('-', ''), OWN_ID))
    @ddt.unpack
    def test_id_is_taken_in_canonical_form(self, sent, stored):
        body = self.post_deployment(utils.deployment_body(
            self.sc.id, id=sent)).json['software_deployment']
        self.assertEqual(stored, body['id'])
        self.get('/software_deployments/' + stored, status=200)

    def test_null_id_is_a_new_one(self):
        body = self.post_deployment(utils.deployment_body(
            self.sc.id, id=None)).json['software_deployment']
        self.assertTrue(uuidutils.is_uuid_like(body['id']))

    @ddt.data('my-own-id', 'x' * 36, '')
    def test_id_not_a_uuid_is_400(self, sent):
        response = self.post_deployment(
            utils.deployment_body(self.sc.id, id=sent), status=400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         'Invalid id %s: a UUID is expected.' % sent)

    def test_id_too_long_is_400(self):
        response = self.post_deployment(
            utils.deployment_body(self.sc.id, id='x' * 37), status=400)
        self.assertError(response, 400, 'Invalid')

    def test_second_create_with_the_id_is_409(self):
        self.post_deployment(utils.deployment_body(self.sc.id, id=OWN_ID))
        response = self.post_deployment(
            utils.deployment_body(self.sc.id, id=OWN_ID), status=409)
        self.assertError(response, 409, 'DeploymentExists',
                         'Deployment with id %s already exists' % OWN_ID)
        self.assertEqual(1, len(self.list_deployments().json[
            'software_deployments']))

    def test_unknown_keys_are_ignored(self):
        body = self.post_deployment(utils.deployment_body(
            self.sc.id, deployment_id='x', bogus=[1, 2])).json[
                'software_deployment']
        self.assertNotIn('bogus', body)
        self.assertTrue(uuidutils.is_uuid_like(body['id']))


@ddt.ddt
class TestETag(deployments_base.DeploymentTestCase):
    """ETag on deployment answers; If-Match on PUT, If-None-Match on GET."""

    def setUp(self):
        super().setUp()
        self.created = self.post_deployment(utils.deployment_body(self.sc.id))
        self.path = '/software_deployments/%s' % (
            self.created.json['software_deployment']['id'])

    def put_if(self, tag, status, body=None):
        return self.put(self.path, body or {'status': 'COMPLETE'},
                        status=status,
                        headers=self.headers(**{'If-Match': tag}))

    def test_etag_names_the_bytes(self):
        shown = self.get(self.path, status=200)
        self.assertEqual('"%s"' % hashlib.blake2b(
            shown.body, digest_size=16).hexdigest(), shown.headers['ETag'])
        # Nothing changed since the create: the same answer, the same tag.
        self.assertEqual(self.created.body, shown.body)
        self.assertEqual(self.created.headers['ETag'], shown.headers['ETag'])

    def test_update_moves_the_etag(self):
        before = self.get(self.path, status=200).headers['ETag']
        updated = self.put(self.path, {'status': 'COMPLETE'}, status=200)
        self.assertNotEqual(before, updated.headers['ETag'])
        self.assertEqual(updated.headers['ETag'],
                         self.get(self.path, status=200).headers['ETag'])

    @ddt.data(lambda tag: tag, lambda tag: '"other", ' + tag,
              lambda tag: '*')
    def test_matching_if_match_applies(self, header):
        tag = self.get(self.path, status=200).headers['ETag']
        response = self.put_if(header(tag), 200)
        self.assertEqual('COMPLETE',
                         response.json['software_deployment']['status'])

    @ddt.data(lambda tag: '"0123"', lambda tag: 'W/' + tag,
              lambda tag: '')
    def test_other_if_match_is_412(self, header):
        tag = self.get(self.path, status=200).headers['ETag']
        response = self.put_if(header(tag), 412)
        self.assertError(
            response, 412, 'HTTPPreconditionFailed',
            'The deployment %s has changed since the version named in '
            'If-Match; read it again.' % self.path.rsplit('/', 1)[1])
        self.assertEqual(tag, self.get(self.path, status=200).headers['ETag'])

    def test_lost_update_is_refused(self):
        tag = self.get(self.path, status=200).headers['ETag']
        self.put_if(tag, 200, {'status_reason': 'first writer'})
        self.put_if(tag, 412, {'status_reason': 'second writer'})
        shown = self.get(self.path, status=200).json['software_deployment']
        self.assertEqual('first writer', shown['status_reason'])

    def test_if_match_of_unknown_deployment_is_404(self):
        self.put('/software_deployments/' + OWN_ID, {'status': 'COMPLETE'},
                 status=404, headers=self.headers(**{'If-Match': '*'}))

    @ddt.data(lambda tag: tag, lambda tag: 'W/' + tag, lambda tag: '*',
              lambda tag: '"x", ' + tag)
    def test_if_none_match_is_304(self, header):
        tag = self.get(self.path, status=200).headers['ETag']
        response = self.get(self.path, status=304,
                            headers=self.headers(**{
                                'If-None-Match': header(tag)}))
        self.assertEqual(b'', response.body)
        self.assertEqual(tag, response.headers['ETag'])

    def test_if_none_match_other_is_200(self):
        response = self.get(self.path, status=200, headers=self.headers(
            **{'If-None-Match': '"0123"'}))
        self.assertIn('software_deployment', response.json)
