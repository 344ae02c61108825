# Sphinx configuration of the deploysvc documentation (with the api-ref).
#
# The build needs no network: openstackdocstheme is told the repository
# name instead of guessing it, and the configuration and policy references
# are generated from the code by the oslo sphinx extensions.

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join('..', '..')))

extensions = [
    'cliff.sphinxext',
    'openstackdocstheme',
    'os_api_ref',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'oslo_policy.sphinxext',
    'oslo_policy.sphinxpolicygen',
]

# -- oslo.config / oslo.policy --------------------------------------------
# Paths are relative to this directory; the samples are written to _static
# (ignored by git) and included by configuration/sample-*.rst.
config_generator_config_file = (
    '../../etc/deploysvc/deploysvc-config-generator.conf')
sample_config_basename = '_static/deploysvc'
policy_generator_config_file = (
    '../../etc/deploysvc/deploysvc-policy-generator.conf')
sample_policy_basename = '_static/deploysvc'

# -- cliff: the openstackclient plugin's commands (cli/openstack-software)
autoprogram_cliff_application = 'openstack'

# -- openstackdocstheme -----------------------------------------------------
openstackdocs_repo_name = 'openstack/deploysvc'
openstackdocs_bug_project = 'deploysvc'
openstackdocs_bug_tag = 'doc'
openstackdocs_auto_name = False
openstackdocs_use_storyboard = False

# -- General ----------------------------------------------------------------
project = 'deploysvc'
copyright = '2026, deploysvc developers'
master_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = ['api-ref/*.inc']
pygments_style = 'native'
add_module_names = False

html_theme = 'openstackdocs'
html_static_path = ['_static']
html_theme_options = {
    'display_badge': False,
}

latex_documents = [
    ('index', 'doc-deploysvc.tex', 'deploysvc Documentation',
     'deploysvc developers', 'manual'),
]
