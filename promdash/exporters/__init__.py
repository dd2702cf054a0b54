"""Demo exporters that promdash stacks scrape; each runs as `python -m promdash.exporters.NAME`.

Nothing here imports textual: exporters run as plain processes, without the TUI.
"""
