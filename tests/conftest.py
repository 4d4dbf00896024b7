"""Settings shared by every test package.

Property tests are repeatable by default: the same examples on every machine and every run, so
the project's CI never fails on a draw nobody can reproduce. ``HYPOTHESIS_PROFILE=explore``
searches fresh random examples (and more of them) when looking for new counterexamples.
"""

from __future__ import annotations

import logging
import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=400, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# The test harness logs every SQL statement of the recorder (sqlalchemy.engine at INFO); the
# statistics tests run hundreds of thousands of them, and the records only slow the run down.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
