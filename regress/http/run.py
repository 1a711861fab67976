"""run.py — runs every regress/http/test_*.py suite; the last line is
"http: N passed, M failed" for run-tests.sh to count. Every response a suite receives
through harness.py is checked against the OpenAPI document the stack serves (harness.OpenApi);
the number checked is printed, and none checked is a failure."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

import harness  # noqa: E402

suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=here)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
checked = harness.openapi().checked
print(f"openapi: {checked} responses checked against the document GET /openapi.json serves")
if checked == 0:
    bad += 1
print(f"http: {result.testsRun - bad} passed, {bad} failed")
sys.exit(0 if result.wasSuccessful() and checked else 1)
