"""The Gradio web chat of report-qa."""
