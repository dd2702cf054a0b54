"""The dashboard: a Textual app that presents what `promdash.prom` and `promdash.stack` produce.

Nothing outside this package imports it, so the CLI's other commands start
without loading Textual.
"""
