"""Control-path state: channel registry, MONITOR feed, tracking, notifications.

Producers here never write to sockets: they hand messages to a client's
outbox (``client.outbox.send_async``), whose dispatch queue the network layer
drains with batching and a quota (see docs/design.md).
"""
