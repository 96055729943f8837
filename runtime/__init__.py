"""The production runtime: the node daemon that drives the same policy core over real
sockets (ZeroMQ PUB/SUB, UDP discovery). Built in the runtime issue; empty until then."""
