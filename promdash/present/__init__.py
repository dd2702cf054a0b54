"""The text both front ends show: the CLI's tables and the dashboard's panels.

One presenter serves both so a label set, a series name or an alert list reads
the same in `promdash alerts` and in the Alerts panel. `text` holds the pieces
both use; `output` the CLI's whole documents (tables, JSON, CSV, plots).
Durations, times and values come from `promdash.timefmt`.
"""
