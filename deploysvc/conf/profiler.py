"""Options of the [profiler] group: osprofiler's own, off by default.

osprofiler declares and registers them (``osprofiler.opts``); see
doc/source/admin/operations.rst, operations-profiler.
"""

from osprofiler import opts as profiler_opts


def register_opts(conf):
    profiler_opts.set_defaults(conf)


def list_opts():
    return dict(profiler_opts.list_opts())
