"""One module per ``report-qa`` command; ``cli.main`` registers them."""
