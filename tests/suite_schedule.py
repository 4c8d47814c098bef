"""The order in which pytest-xdist hands the test files to its workers (``--dist loadfile``).

xdist starts the files with the most tests first. A file whose module fixture builds a year of
demo has a single test but costs more than a file of a hundred: started last, it ended the run
alone on one worker while the others had nothing left to do. Those files are handed out first;
the others keep xdist's order. Kept out of ``conftest.py`` for the reason given in
suite_databases.py.
"""

from __future__ import annotations

from collections import OrderedDict

from xdist.scheduler import LoadFileScheduling

# Files whose module fixtures cost tens of seconds (demo builds with months of history…),
# costliest first. A costly file missing here only starts later; nothing else changes.
STARTED_FIRST = (
    "tests/demo/test_demo_dashboard.py",
    "tests/demo/test_demo_impact.py",
    "tests/web/test_demo_acceptance.py",
    "tests/domains/test_lighting_detectors.py",
    "tests/web/test_security_pages.py",
    "tests/demo/test_demo.py",
    "tests/domains/test_risks_vigilance.py",
)


class _CostliestFirst(OrderedDict):
    """xdist's queue of files (it takes them with ``popitem(last=False)``), giving the files
    of STARTED_FIRST before the others."""

    def popitem(self, last: bool = True):
        if not last:
            for path in STARTED_FIRST:
                if path in self:
                    return path, self.pop(path)
        return super().popitem(last)


class CostliestFirst(LoadFileScheduling):
    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        self.workqueue = _CostliestFirst()
