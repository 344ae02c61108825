import testtools

from deploysvc.agent import tokens


class TestTokens(testtools.TestCase):

    def test_secrets_are_random_and_long(self):
        first, second = tokens.new_secret(), tokens.new_secret()
        self.assertNotEqual(first, second)
        self.assertEqual(64, len(first))

    def test_mac_verifies(self):
        secret = tokens.new_secret()
        mac = tokens.mac(secret, tokens.SIGNAL, 'dep-1')
        self.assertTrue(tokens.verify(secret, tokens.SIGNAL, 'dep-1', mac))

    def test_mac_bound_to_id_purpose_and_secret(self):
        secret = tokens.new_secret()
        mac = tokens.mac(secret, tokens.SIGNAL, 'dep-1')
        self.assertFalse(tokens.verify(secret, tokens.SIGNAL, 'dep-2', mac))
        self.assertFalse(tokens.verify(secret, tokens.METADATA, 'dep-1',
                                       mac))
        self.assertFalse(tokens.verify(tokens.new_secret(), tokens.SIGNAL,
                                       'dep-1', mac))

    def test_garbage_never_verifies(self):
        secret = tokens.new_secret()
        for given in ('', 'x', '\u00e9' * 64, '0' * 64):
            self.assertFalse(tokens.verify(secret, tokens.SIGNAL, 'd',
                                           given))
