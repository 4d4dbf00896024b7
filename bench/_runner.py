"""Runs one benchmark module (``bench/_bench_*.py``) under pytest with a file-backed recorder.

The benchmarks need Home Assistant's test harness (a real recorder on a database file, the
custom integration enabled), so each ``bench/<name>.py`` hands its ``_bench_<name>.py`` to
:func:`run`. ``--dburl URL`` on the command line runs it on another database (PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path
import sys
import tempfile

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(module: str, argv: list[str] | None = None) -> int:
    """Run ``bench/<module>`` once; the exit code of pytest."""
    args = list(sys.argv[1:] if argv is None else argv)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        if "--dburl" in args:
            index = args.index("--dburl")
            db_url = args[index + 1]
            del args[index : index + 2]
        return int(
            pytest.main(
                [
                    str(ROOT / "bench" / module),
                    "-q",
                    "-s",
                    "-p",
                    "no:cacheprovider",
                    "-p",
                    "no:logging",
                    "--rootdir",
                    str(ROOT),
                    "-c",
                    str(ROOT / "pyproject.toml"),
                    "--dburl",
                    db_url,
                    *args,
                ]
            )
        )
