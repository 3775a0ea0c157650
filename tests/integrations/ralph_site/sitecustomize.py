"""Loaded by ralph's Python in the xAPI tests (PYTHONPATH points here): ralph 5.1's file
backend writes each request with operation "index", which refuses to write to its one
statements file once it exists, so a file-backed LRS stores one request and answers 500 to
every later one. It appends instead, as a file of statements means to. Nothing else of ralph
is changed: the protocol under test (validation, ids, conflicts, auth) is its own."""

try:
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend
except ImportError:  # another Python that happens to read this path
    pass
else:
    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
