"""Testing against a fake Oxen.

``_protocol`` holds Oxen's inference protocol as a stateful fake with no I/O of its own (routes,
jobs moved on by time, the event stream, repositories, faults); ``oxgen mock-server`` serves the
same code over HTTP.
"""
