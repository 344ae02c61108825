#!/usr/bin/env python3
"""Bounded HTTP load generator of the deploysvc benchmark (stdlib only).

    python3 tools/bench/load.py SPEC.json        # result JSON on stdout

SPEC is a JSON object::

    {"host": "127.0.0.1", "port": 8019,
     "count": 400,            # requests in all (fixed, not a duration)
     "concurrency": 8,        # requests in flight at once
     "processes": 2,          # client processes sharing the concurrency
     "timeout": 30,           # seconds per request
     "deadline": 120,         # seconds for the whole run; later requests
                              # are not sent and count as errors
     "requests": [{"method": "GET", "path": "/v1/...", "body": null,
                   "headers": {...}, "expect": [200]}, ...]}

Request ``i`` is ``requests[i % len(requests)]``.  Each client thread keeps
one ``http.client`` connection and reuses it while the server keeps it open
(gunicorn's sync worker closes it after every response; the connection is
then reopened, as any client would).  A response whose status is not in
``expect``, or any exception, is an error.  Latency is measured from
sending the request to the last byte of the body.
"""

import http.client
import json
import multiprocessing
import sys
import threading
import time


def _percentile(ordered, fraction):
    """Nearest-rank percentile of a sorted list (None when empty)."""
    if not ordered:
        return None
    rank = max(1, int(round(fraction * len(ordered) + 0.5)))
    return ordered[min(rank, len(ordered)) - 1]


def _client(spec, indexes, deadline, latencies, errors):
    """One connection; sends the requests numbered ``indexes``."""
    requests = spec['requests']
    connection = None
    for number in indexes:
        if time.monotonic() > deadline:
            errors.append('deadline: request %d not sent' % number)
            continue
        request = requests[number % len(requests)]
        body = request.get('body')
        if body is not None:
            body = body.encode('utf-8')
        if connection is None:
            connection = http.client.HTTPConnection(
                spec['host'], spec['port'], timeout=spec.get('timeout', 30))
        start = time.perf_counter()
        try:
            connection.request(request['method'], request['path'], body=body,
                               headers=request.get('headers') or {})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as e:
            errors.append('%s %s: %s: %s' % (request['method'],
                                             request['path'],
                                             type(e).__name__, e))
            connection.close()
            connection = None
            continue
        latencies.append(time.perf_counter() - start)
        if response.status not in request.get('expect', (200,)):
            errors.append('%s %s: status %d' % (
                request['method'], request['path'], response.status))
        if response.will_close:
            connection.close()
            connection = None
    if connection is not None:
        connection.close()


def _process(spec, slots, deadline_s, barrier, queue):
    """Client process: one thread per slot; results go to ``queue``."""
    latencies = []
    errors = []
    barrier.wait()
    deadline = time.monotonic() + deadline_s
    threads = [threading.Thread(target=_client,
                                args=(spec, indexes, deadline, latencies,
                                      errors))
               for indexes in slots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((latencies, errors))


def run(spec):
    """Run the load described by ``spec``; a dict of results."""
    count = int(spec['count'])
    concurrency = max(1, int(spec['concurrency']))
    processes = max(1, min(int(spec.get('processes', 1)), concurrency))
    deadline_s = float(spec.get('deadline', 120))
    # Request i goes to slot i % concurrency; slot j to process j % P.
    slots = [range(j, count, concurrency) for j in range(concurrency)]
    per_process = [slots[p::processes] for p in range(processes)]
    ctx = multiprocessing.get_context('fork')
    barrier = ctx.Barrier(processes + 1)
    queue = ctx.Queue()
    workers = [ctx.Process(target=_process,
                           args=(spec, mine, deadline_s, barrier, queue))
               for mine in per_process]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    latencies = []
    errors = []
    for _ in workers:
        got_latencies, got_errors = queue.get()
        latencies.extend(got_latencies)
        errors.extend(got_errors)
    elapsed = time.perf_counter() - start
    for worker in workers:
        worker.join()
    latencies.sort()
    done = len(latencies)
    return {
        'count': count,
        'concurrency': concurrency,
        'processes': processes,
        'completed': done,
        'errors': len(errors),
        'error_samples': sorted(set(errors))[:5],
        'elapsed_s': elapsed,
        'rps': done / elapsed if elapsed > 0 else None,
        'p50_ms': _ms(_percentile(latencies, 0.50)),
        'p90_ms': _ms(_percentile(latencies, 0.90)),
        'p99_ms': _ms(_percentile(latencies, 0.99)),
        'max_ms': _ms(latencies[-1] if latencies else None),
        'mean_ms': _ms(sum(latencies) / done if done else None),
    }


def _ms(seconds):
    return None if seconds is None else seconds * 1000.0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[0]) as f:
        spec = json.load(f)
    json.dump(run(spec), sys.stdout)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
