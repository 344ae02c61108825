"""Heat's signal rules (see doc/source/contributor/behaviour.rst,
behaviour-signal-rules)."""

import ddt
import testtools

from deploysvc.agent import signals

OUTPUTS = [{'name': 'result', 'type': 'String', 'error_output': False},
           {'name': 'err', 'type': 'String', 'error_output': True}]


@ddt.ddt
class TestSignalRules(testtools.TestCase):

    def test_success(self):
        result = signals.apply('d1', OUTPUTS, None,
                               {'result': 'ok', 'deploy_stdout': 'out',
                                'deploy_stderr': '', 'deploy_status_code': 0})
        self.assertEqual('COMPLETE', result.status)
        self.assertEqual('Outputs received', result.status_reason)
        self.assertEqual({'result': 'ok', 'deploy_stdout': 'out',
                          'deploy_stderr': '', 'deploy_status_code': 0},
                         result.output_values)
        self.assertEqual('deployment d1 succeeded', result.event)

    def test_heat_example(self):
        # Heat's own example: non-zero code, undeclared key dropped, missing
        # standard keys set to null.
        result = signals.apply('d1', OUTPUTS, None,
                               {'result': 'ok', 'deploy_status_code': 2,
                                'extra': 1})
        self.assertEqual('FAILED', result.status)
        self.assertEqual('deploy_status_code : Deployment exited with '
                         'non-zero status code: 2', result.status_reason)
        self.assertEqual({'result': 'ok', 'deploy_stdout': None,
                          'deploy_stderr': None, 'deploy_status_code': 2},
                         result.output_values)
        self.assertEqual('deployment d1 failed (2)', result.event)

    @ddt.data(0, '0', None, '', False)
    def test_success_codes(self, code):
        details = {'deploy_status_code': code}
        self.assertEqual('COMPLETE',
                         signals.apply('d', [], {}, details).status)

    def test_missing_code_is_success(self):
        self.assertEqual('COMPLETE', signals.apply('d', [], {}, {}).status)

    @ddt.data(1, '1', -1, True, '127')
    def test_failure_codes(self, code):
        result = signals.apply('d', [], {}, {'deploy_status_code': code})
        self.assertEqual('FAILED', result.status)
        self.assertEqual('deploy_status_code : Deployment exited with '
                         'non-zero status code: %s' % code,
                         result.status_reason)

    def test_error_output_present_fails_even_when_null(self):
        result = signals.apply('d', OUTPUTS, {}, {'err': None})
        self.assertEqual('FAILED', result.status)
        self.assertEqual('err : None', result.status_reason)
        self.assertEqual('deployment d failed', result.event)
        self.assertIsNone(result.output_values['err'])

    def test_code_reason_comes_first(self):
        result = signals.apply('d', OUTPUTS, {},
                               {'err': 'boom', 'deploy_status_code': 4})
        self.assertEqual('deploy_status_code : Deployment exited with '
                         'non-zero status code: 4, err : boom',
                         result.status_reason)

    def test_merges_into_stored_outputs(self):
        result = signals.apply('d', OUTPUTS, {'result': 'old', 'keep': 1},
                               {'deploy_stdout': 'x'})
        self.assertEqual({'result': 'old', 'keep': 1, 'deploy_stdout': 'x',
                          'deploy_stderr': None, 'deploy_status_code': None},
                         result.output_values)

    def test_stored_outputs_not_modified(self):
        stored = {'result': 'old'}
        signals.apply('d', OUTPUTS, stored, {'result': 'new'})
        self.assertEqual({'result': 'old'}, stored)

    def test_null_details(self):
        result = signals.apply('d', OUTPUTS, None, None)
        self.assertEqual('COMPLETE', result.status)
        self.assertEqual({'deploy_stdout': None, 'deploy_stderr': None,
                          'deploy_status_code': None}, result.output_values)
