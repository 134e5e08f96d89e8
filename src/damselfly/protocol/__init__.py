"""Sans-IO protocol layer: request bytes in, commands out; reply values in, bytes out.

Nothing here imports asyncio or the network layer, so every byte-level rule is
testable without sockets.
"""
