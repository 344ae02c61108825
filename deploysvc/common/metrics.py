"""Prometheus metrics: every metric object of deploysvc, in one place.

The places where something happens call the small functions below
(``request``, ``signal``, ``delivered``...); the exposition
(``deploysvc.api.middleware.metrics``) asks ``exposition`` for the
metrics of every process.  The metrics, their labels and example alerts
are listed in doc/source/admin/operations.rst, operations-metrics.

Processes: with ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client
writes each process's values to files of that directory and the scrape
adds them up (its multi-process mode): deploysvc-api's master sets it
(``[metrics] multiproc_dir``) before its workers fork, so the figures of
all workers are served by whichever answers the scrape.  Without it (any
other WSGI server, unless its environment sets the variable), the
figures are the serving process's own.

prometheus_client chooses between the two when it is first imported
(``prometheus_client.values``), so it is imported here only when the
first metric is made, never at import: deploysvc-api's master imports
this module before it has read the configuration that names the
directory.

The counts of every request (by route, method and status, with its
latency) and of every cache lookup are kept in the process first and
written to the metrics once a second by a thread of the process
(``_Pending``): prometheus_client's multi-process values cost a lock,
a ``getpid`` and a write to the file per increment, and a histogram two
of them: written per request, a counter and a histogram made an agent's
304 (0.22 ms of CPU) 7.8 % dearer, the histogram alone 4-5 %; kept
here, 2.3 to 3.5 % (tools/bench/bench.py, PostgreSQL, best of 9 runs;
best of 20 rounds of 1,000, doc/source/admin/operations.rst).  A
scrape sees the counts of other workers as they were up to a second ago
(its own worker's are written first); a worker that exits loses at most
its last second.

Labels are a few fixed words (a route template, a status, a result),
never an id, a project or a raw path: every label value is a time series
on the Prometheus server.
"""

import bisect
import os
import sys
import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

MULTIPROC_ENV = 'PROMETHEUS_MULTIPROC_DIR'

# Request latencies: the agent's 304 takes about 1 ms, a list of 1,000
# deployments some 50 ms, and [api] timeout (harakiri) is 60 s.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Deployment phases: an agent polls every 30 s by default
# (os-collect-config), a run takes seconds to an hour; the default
# [deployment] timeouts are counted in hours.
PHASE_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
                 3600.0, 7200.0, 21600.0, 86400.0)

HTTP_DURATION = 'deploysvc_http_request_duration_seconds'
# Seconds between two writes of a process's pending counts.
FLUSH_INTERVAL = 1.0
# The route of agents' polls (deploysvc.api.middleware.metrics).
AGENT_METADATA_ROUTE = '/agent/v1/metadata/{credential_id}/{mac}'

_HTTP_BUCKET = 'deploysvc_internal_http_bucket'
_HTTP_SUM = 'deploysvc_internal_http_sum'
_LE = tuple(str(float(bound)) for bound in HTTP_BUCKETS) + ('+Inf',)

_LOCK = threading.Lock()
_STATE = {'metrics': None}
# (metric attribute, label values...) -> the labelled child, so that an
# event costs a dict lookup and an increment (prometheus_client's
# labels() takes a lock and validates the values each time).
_CHILDREN = {}


class _Metrics(object):
    """The metric objects, made once per process tree."""

    def __init__(self):
        # Imported here, not at the top: see the module docstring.
        import prometheus_client
        from prometheus_client import core
        from prometheus_client import multiprocess

        self.client = prometheus_client
        self.core = core
        self.multiprocess = multiprocess
        self.registry = registry = prometheus_client.CollectorRegistry()

        def counter(name, documentation, labels=()):
            return prometheus_client.Counter(
                name, documentation, labels, registry=registry)

        def histogram(name, documentation, labels, buckets):
            return prometheus_client.Histogram(
                name, documentation, labels, registry=registry,
                buckets=buckets)

        # The requests, as written from the pending counts: a count per
        # latency bucket ("le", not cumulative) and the sum.  Never served
        # as they are: ``_Derived`` makes them the latency histogram and
        # the request and agent poll counters when scraped.
        self.http_bucket = counter(
            _HTTP_BUCKET, 'Requests by latency bucket (internal).',
            ('route', 'method', 'status', 'le'))
        self.http_sum = counter(
            _HTTP_SUM, 'Seconds of requests (internal).',
            ('route', 'method', 'status'))
        self.signals = counter(
            'deploysvc_signals',
            'Signals of agents and API users by result: applied, ignored '
            '(the deployment was not IN_PROGRESS), late (it had timed out '
            'or been cancelled) or stale (sent to the URL of an earlier '
            'run).', ('result',))
        self.delivery = histogram(
            'deploysvc_deployment_delivery_seconds',
            'Time from the start of a deployment\'s run (its create or '
            'update) to its first fetch by the server\'s agent.', (),
            PHASE_BUCKETS)
        self.run = histogram(
            'deploysvc_deployment_run_seconds',
            'Time from a deployment\'s delivery to the signal that ended '
            'it, by the status it ended in.', ('status',), PHASE_BUCKETS)
        self.timeouts = counter(
            'deploysvc_deployment_timeouts',
            'Deployments failed by the service for a passed deadline, by '
            'reason code.', ('reason_code',))
        self.cancels = counter(
            'deploysvc_deployment_cancels',
            'Deployments cancelled, by whether their agent had fetched '
            'them.', ('delivered',))
        self.cache_hits = counter(
            'deploysvc_cache_hits',
            'Lookups found in a per-process cache, by cache.', ('cache',))
        self.cache_misses = counter(
            'deploysvc_cache_misses',
            'Lookups not found in a per-process cache, by cache.',
            ('cache',))
        self.database_errors = counter(
            'deploysvc_database_errors',
            'Database errors by kind: unavailable (no connection could be '
            'opened), connection_lost (lost while a request used it), '
            'deadlock (the transaction is retried), other.', ('kind',))
        self.notifications_dropped = counter(
            'deploysvc_notifications_dropped',
            'Notifications dropped because the queue waiting for the '
            'message broker was full.')


def _metrics():
    found = _STATE['metrics']
    if found is None:
        with _LOCK:
            found = _STATE['metrics']
            if found is None:
                found = _STATE['metrics'] = _Metrics()
    return found


def _child(name, *labels):
    key = (name,) + labels
    child = _CHILDREN.get(key)
    if child is None:
        metric = getattr(_metrics(), name)
        child = _CHILDREN[key] = (metric.labels(*labels) if labels
                                  else metric)
    return child


def multiprocess():
    """Whether the values are shared by the processes (see above)."""
    return bool(os.environ.get(MULTIPROC_ENV))


def prepare_multiprocess(path):
    """Share the metrics of this process's future children through ``path``.

    For a pre-fork server's master, before any metric is made and before
    it forks: creates ``path`` and deletes the value files of an earlier
    run (a dead worker's counts would otherwise be added to the new
    ones for ever).  RuntimeError if prometheus_client was imported
    already: its values would then stay per process.
    """
    if 'prometheus_client' in sys.modules and (
            os.environ.get(MULTIPROC_ENV) != path):
        raise RuntimeError('prometheus_client was imported before its '
                           'multi-process directory was set')
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith('.db'):
            os.remove(os.path.join(path, name))
    os.environ[MULTIPROC_ENV] = path
    # Loaded and made here, once: the workers share the pages and do not
    # pay for it on their first request.
    _metrics()


class _Pending(object):
    """Counts of this process not written yet, and the thread writing them.

    ``add`` is the cost of a request: a lock and a dict increment.
    """

    def __init__(self):
        self._forked()
        # A new process starts with nothing pending and no thread (a
        # thread does not survive a fork; a lock may be held by one).
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.started = False

    def add(self, key, amount=1):
        with self.lock:
            counts = self.counts
            counts[key] = counts.get(key, 0) + amount
            if not self.started:
                self._start()

    def request(self, route, method, status, seconds):
        bucket = ('http_bucket', route, method, status,
                  _LE[bisect.bisect_left(HTTP_BUCKETS, seconds)])
        total = ('http_sum', route, method, status)
        with self.lock:
            counts = self.counts
            counts[bucket] = counts.get(bucket, 0) + 1
            counts[total] = counts.get(total, 0) + seconds
            if not self.started:
                self._start()

    def _start(self):
        self.started = True
        threading.Thread(target=self._run, daemon=True,
                         name='deploysvc-metrics').start()

    def _run(self):
        while True:
            time.sleep(FLUSH_INTERVAL)
            try:
                self.flush()
            except Exception:
                LOG.exception('Metrics not written')

    def flush(self):
        """Write the pending counts to the metrics."""
        with self.lock:
            counts, self.counts = self.counts, {}
        for key, amount in counts.items():
            _child(*key).inc(amount)


_PENDING = _Pending()


def request(route, method, status, seconds):
    """An HTTP request answered with ``status`` in ``seconds``."""
    _PENDING.request(route, method, status, seconds)


def flush():
    """Write this process's pending counts now (before a scrape)."""
    _PENDING.flush()


def signal(result):
    """A signal: ``applied``, ``ignored``, ``late`` or ``stale``."""
    _child('signals', result).inc()


def delivered(seconds):
    _child('delivery').observe(seconds)


def ended(status, seconds):
    """A run ended by its signal ``seconds`` after its delivery."""
    _child('run', status).observe(seconds)


def timed_out(reason_code):
    _child('timeouts', reason_code).inc()


def cancelled(delivered):
    _child('cancels', 'true' if delivered else 'false').inc()


def cache_lookup(cache, hit):
    _PENDING.add(('cache_hits' if hit else 'cache_misses', cache))


def database_error(kind):
    _child('database_errors', kind).inc()


def notification_dropped():
    _child('notifications_dropped').inc()


class _Gauge(object):
    """A collector of one gauge family computed when scraped."""

    def __init__(self, name, documentation, labels, samples):
        self.name = name
        self.documentation = documentation
        self.labels = labels
        self.samples = samples

    def collect(self):
        try:
            rows = self.samples()
        except Exception as e:
            # The other metrics are still worth a scrape.
            LOG.warning('Metric %s left out of this scrape: %s',
                        self.name, e)
            return []
        family = _metrics().core.GaugeMetricFamily(
            self.name, self.documentation, labels=self.labels)
        for values in rows:
            family.add_metric([str(value or '') for value in values[:-1]],
                              values[-1])
        return [family]


def deployments_gauge(samples):
    """The ``deploysvc_deployments`` gauge, read by ``samples()`` on scrape.

    ``samples()`` returns ``(status, reason code, count)`` rows; an
    exception (the database down) leaves the gauge out of that scrape.
    """
    return _Gauge('deploysvc_deployments',
                  'Deployments by status and status reason code, counted '
                  'in the database when scraped (every node agrees).',
                  ('status', 'reason_code'), samples)


class _Derived(object):
    """The families of ``source``, the requests' made from the internal ones.

    ``deploysvc_http_request_duration_seconds``: the latency histogram of
    the requests by route, method and status;
    ``deploysvc_http_requests_total``: its counts;
    ``deploysvc_agent_polls_total{answer}``: those of the agents'
    metadata route answered 200 or 304.
    """

    def __init__(self, source):
        self.source = source

    def collect(self):
        core = _metrics().core
        buckets = {}
        sums = {}
        for family in self.source.collect():
            if family.name == _HTTP_BUCKET:
                for sample in family.samples:
                    if sample.name == _HTTP_BUCKET + '_total':
                        labels = dict(sample.labels)
                        le = labels.pop('le')
                        key = (labels['route'], labels['method'],
                               labels['status'])
                        buckets.setdefault(key, {})[le] = sample.value
            elif family.name == _HTTP_SUM:
                for sample in family.samples:
                    if sample.name == _HTTP_SUM + '_total':
                        labels = sample.labels
                        sums[(labels['route'], labels['method'],
                              labels['status'])] = sample.value
            else:
                yield family
        histogram = core.HistogramMetricFamily(
            HTTP_DURATION,
            'Time until the application returned its answer, by route '
            'template, method and status.',
            labels=('route', 'method', 'status'))
        requests = core.CounterMetricFamily(
            'deploysvc_http_requests',
            'HTTP requests answered, by route template, method and status.',
            labels=('route', 'method', 'status'))
        polls = {'200': 0.0, '304': 0.0}
        for key, counts in sorted(buckets.items()):
            cumulative = []
            total = 0.0
            for le in _LE:
                total += counts.get(le, 0.0)
                cumulative.append((le, total))
            histogram.add_metric(key, cumulative, sums.get(key, 0.0))
            requests.add_metric(key, total)
            route, _method, status = key
            if route == AGENT_METADATA_ROUTE and status in polls:
                polls[status] += total
        yield histogram
        yield requests
        agent_polls = core.CounterMetricFamily(
            'deploysvc_agent_polls',
            'Polls of agents on their metadata URL (GET and HEAD) answered '
            'with the document (200) or not modified (304).',
            labels=('answer',))
        for answer, value in sorted(polls.items()):
            agent_polls.add_metric((answer,), value)
        yield agent_polls


def _registry(*collectors):
    metrics = _metrics()
    registry = metrics.client.CollectorRegistry()
    if multiprocess():
        # Every process's files, the dead ones' included (their counts
        # stay part of the totals until the next start).
        source = metrics.multiprocess.MultiProcessCollector(None)
    else:
        source = metrics.registry
    # The collectors that read the database first (collected in this
    # order): a failure of theirs is then counted in the same scrape.
    for collector in collectors:
        registry.register(collector)
    registry.register(_Derived(source))
    return registry


def exposition(*collectors):
    """(body, content type) of every metric and of ``collectors``."""
    flush()
    client = _metrics().client
    return (client.generate_latest(_registry(*collectors)),
            client.CONTENT_TYPE_LATEST)


def sample(name, labels=None):
    """The current value of one sample as scraped (tests)."""
    flush()
    return _registry().get_sample_value(name, labels or {})
