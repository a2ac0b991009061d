"""``python -m qa``: runs the installed ``report-qa`` console script.

The command line sits above this package (``cli/``), so it is found through the package's
entry point instead of being imported from below.
"""

from importlib.metadata import entry_points

(script,) = entry_points(group="console_scripts", name="report-qa")
script.load()()
