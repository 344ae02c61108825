"""The agent loop: what in-instance agents poll and how they report back.

Unchanged os-collect-config (``request`` collector) polls a per-server
capability URL for its metadata, and heat-config-notify PUTs each hook's
result to a per-deployment capability URL (``deploy_signal_id``).
"""
