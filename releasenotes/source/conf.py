# Sphinx configuration of the deploysvc release notes (reno).
#
# reno reads the notes from the git history of this repository; the build
# needs no network.

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

openstackdocs_repo_name = 'openstack/deploysvc'
openstackdocs_bug_project = 'deploysvc'
openstackdocs_bug_tag = 'releasenotes'
openstackdocs_auto_name = False
openstackdocs_use_storyboard = False

project = 'deploysvc Release Notes'
copyright = '2026, deploysvc developers'
master_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = []
pygments_style = 'native'

html_theme = 'openstackdocs'
html_static_path = ['_static']

# Release notes are not versioned documents.
version = ''
release = ''

locale_dirs = ['locale/']
