"""The network facade: listener, connections, reply sink. The only layer with sockets."""
