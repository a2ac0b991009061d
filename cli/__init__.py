"""The ``report-qa`` command line: one click group, one module per command (``cli/commands``).

It sits above every other layer (corpus → index → qa → ui): nothing below imports it.
"""
