"""Unit test discovery imports nothing from the functional tests or tools.

The unit suite must run without what only the functional tests need
(python-heatclient, openstackclient, real servers): a unit module that
imported ``deploysvc.tests.functional`` (or tools/bench, which does) would
make every unit run depend on them.
"""

import os
import sys
import unittest

import testtools

UNIT = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(UNIT)))


class TestDiscovery(testtools.TestCase):

    def test_unit_modules_import_no_functional_code(self):
        unittest.TestLoader().discover(UNIT, top_level_dir=ROOT)
        imported = sorted(
            name for name in sys.modules
            if name.startswith(('deploysvc.tests.functional', 'heatclient',
                                'openstackclient'))
            or 'bench' in name.split('.')[0])
        self.assertEqual([], imported)
