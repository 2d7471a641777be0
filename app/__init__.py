"""raci-tracker: who owns what across a portfolio of digital initiatives."""
