"""Hub's tests.

Compiled modules are kept for the run even where PYTHONDONTWRITEBYTECODE is set (the Dockerfile sets it, and so
may a CI image): a test that starts `hub worker`, `hub run` or the embedded Redis-compatible server starts a
Python that imports all of Hub, and without the bytecode each of them compiled every module of Hub and of its
libraries again (about thirty processes in a run). The bytecode goes to a directory of its own under the
temporary directory, never into the source tree; Python checks each file against its source before using it.
"""

import os
import sys
import tempfile
from pathlib import Path

if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
    _prefix = str(Path(tempfile.gettempdir()) / f"hub-test-pycache-{os.getuid()}")
    os.environ.pop("PYTHONDONTWRITEBYTECODE")
    os.environ["PYTHONPYCACHEPREFIX"] = _prefix  # the processes the tests start
    sys.dont_write_bytecode = False  # and this one, for what it imports from here on
    sys.pycache_prefix = _prefix
