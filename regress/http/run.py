"""run.py — runs every regress/http/test_*.py suite; the last line is
"http: N passed, M failed" for run-tests.sh to count."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=here)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
print(f"http: {result.testsRun - bad} passed, {bad} failed")
sys.exit(0 if result.wasSuccessful() else 1)
