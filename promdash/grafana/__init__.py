"""Grafana dashboards (JSON model) read as plain values, without Textual or a server.

- `model`: `load_dashboard(path)` reads a dashboard file into `Dashboard`, `Panel`,
  `Row` and `Variable` values; a file of the wrong shape is one `DashboardError`
  line naming the file and the JSON path.
- `variables`: template variables as Grafana's Prometheus datasource interpolates
  them (`$var`, `${var:fmt}`, `[[var]]`, multi-value and All, `$__rate_interval`
  and the other built-ins), the order chained variables resolve in, and their
  resolution against anything that answers like `PromClient`.
- `units`: sample values in a Grafana unit (`bytes`, `s`, `percentunit`, ...).
- `layout`: `gridPos` (24 columns) scaled to a terminal of W x H cells.

Both front ends (`promdash dashboard check`, the dashboard's Grafana panels) build
on these; nothing here draws.
"""
