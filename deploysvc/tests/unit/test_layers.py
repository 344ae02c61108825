"""Imports point one way: api -> agent -> db, and no module cycle.

The client layers (``CLIENTS``: the openstackclient plugin) stand apart:
they import only themselves, and nothing of the service imports them, so
the server never needs osc-lib and the plugin none of the server.

Every import of every module of the service (tests excepted) is read from
its source, at module level or inside a function alike, so an import
cannot hide a cycle by moving into a function.
"""

import ast
import os

import testtools

import deploysvc

_ROOT = os.path.dirname(deploysvc.__file__)

# Layers, lowest first: a module imports only its own layer and lower
# ones.  The shared leaves (errors, options, caches, policy, identity, JSON
# shapes) sit below the three that carry a request inward.
LAYERS = (
    ('deploysvc.version', 'deploysvc.exception', 'deploysvc.conf',
     'deploysvc.common'),
    ('deploysvc.policies', 'deploysvc.policy', 'deploysvc.context',
     'deploysvc.views'),
    ('deploysvc.db',),
    ('deploysvc.agent',),
    ('deploysvc.api',),
    ('deploysvc.cmd', 'deploysvc.wsgi'),
)

# Client packages: import only their own modules; imported by no other.
CLIENTS = ('deploysvc.osc',)


def _modules():
    """{module name: path} of the service's own modules."""
    found = {}
    for folder, dirs, files in os.walk(_ROOT):
        dirs[:] = [d for d in dirs if d not in ('tests', '__pycache__')
                   and not d.startswith('.')]
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, os.path.dirname(_ROOT))[:-3].split(
                os.sep)
            if parts[-1] == '__init__':
                parts.pop()
            if len(parts) > 1:  # (the top package itself is empty)
                found['.'.join(parts)] = path
    return found


def _imports(path, modules):
    """The service modules that the module at ``path`` imports."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                child = '%s.%s' % (node.module, alias.name)
                names.add(child if child in modules else node.module)
    return set(name for name in names if name in modules)


def _client(module):
    """The client package of ``module``, or None."""
    for prefix in CLIENTS:
        if module == prefix or module.startswith(prefix + '.'):
            return prefix
    return None


def _layer(module):
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + '.') for p in prefixes):
            return rank
    raise AssertionError('%s belongs to no layer of test_layers.LAYERS'
                         % module)


def _cycle(graph):
    """A list of modules forming a cycle, or None."""
    state = {}

    def visit(node, path):
        state[node] = 'open'
        path.append(node)
        for child in sorted(graph[node]):
            if state.get(child) == 'open':
                return path[path.index(child):] + [child]
            if child not in state:
                found = visit(child, path)
                if found:
                    return found
        path.pop()
        state[node] = 'done'
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


class TestLayers(testtools.TestCase):

    def setUp(self):
        super().setUp()
        modules = _modules()
        self.graph = dict((name, _imports(path, modules) - {name})
                          for name, path in modules.items())

    def test_every_module_has_a_layer(self):
        for module in self.graph:
            if not _client(module):
                _layer(module)

    def test_no_upward_import(self):
        upward = sorted(
            '%s imports %s' % (module, imported)
            for module, imports in self.graph.items()
            for imported in imports
            if not _client(module) and not _client(imported)
            and _layer(imported) > _layer(module))
        self.assertEqual([], upward)

    def test_clients_stand_apart(self):
        crossing = sorted(
            '%s imports %s' % (module, imported)
            for module, imports in self.graph.items()
            for imported in imports
            if _client(module) != _client(imported))
        self.assertEqual([], crossing)

    def test_no_cycle(self):
        self.assertIsNone(_cycle(self.graph))

    def test_the_checks_see_what_they_guard(self):
        # The walk finds the request path's imports; a broken walk would
        # pass the checks above vacuously.
        self.assertIn('deploysvc.db.deployments',
                      self.graph['deploysvc.agent.signals'])
        self.assertIn('deploysvc.agent.urls',
                      self.graph['deploysvc.api.controllers.v1.'
                                 'server_agents'])
        self.assertEqual({'deploysvc.osc.plugin'},
                         self.graph['deploysvc.osc.v1.client'])
        self.assertEqual(['a', 'b', 'a'],
                         _cycle({'a': {'b'}, 'b': {'a'}}))
        self.assertIsNone(_cycle({'a': {'b'}, 'b': set()}))
