"""Settings shared by every test package.

Property tests are repeatable by default: the same examples on every machine and every run, so
the project's CI never fails on a draw nobody can reproduce. ``HYPOTHESIS_PROFILE=explore``
searches fresh random examples (and more of them) when looking for new counterexamples.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=400, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
