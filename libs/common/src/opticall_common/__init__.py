"""OptiCall's shared contract and plumbing.

Services import this package; it imports no service. Event schemas and topic names live here
once (``events``, ``topics``) so that every producer and consumer agrees on the wire format.
"""
