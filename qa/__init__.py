"""Retrieval, cited answers, evaluation and the CLI of report-qa."""
