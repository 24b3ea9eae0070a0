"""The report renderers share their formatting through evals.report_format, without a cycle:
report.html's module never imports report.py's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_report_html_does_not_import_report():
    code = ("import sys, evals.report_html; assert 'evals.report' not in sys.modules, 'cycle'; "
            "import evals.report, evals.report_format as f; assert evals.report.fmt is f.fmt")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
