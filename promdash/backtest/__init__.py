"""Backtesting an alerting rule over history: when would it have been pending and firing?

One core for both front ends (`promdash backtest`, the dashboard): plain values,
no textual, no presenter.

- `replay`: Prometheus's alert state machine over evaluation ticks (pure);
- `rules`: the rule to replay (from the server or flags), `rulefiles` (from a file);
- `run`: choosing the ticks (`plan`) and evaluating the expression over them with
  range queries (`backtest`).

    async with PromClient(conn) as client:
        rule = await server_rule(client, "RPCLatencyHigh")
        result = await backtest(client, await plan(client, rule, start, end))
        for alert in result.alerts:
            alert.labels, alert.intervals, alert.times_fired
        result.matrix  # the expression's value at each tick, to plot

What if? Another rule: `backtest(client, dataclasses.replace(result.plan, rule=changed))`.
Another `for` or `keep_firing_for` can replay the same answer without a query,
`from_matrix(dataclasses.replace(result.plan, rule=changed), result.matrix, result.grid)`,
but a longer one may need ticks the answer lacks: such an alert's stretches then
start where its states settle (`known_from`), and `backtest` asks further back.
"""

from promdash.backtest.replay import (
    AlertHistory,
    Interval,
    State,
    Ticks,
    histories,
    replay,
    replay_sets,
    strip,
    tick_states,
)
from promdash.backtest.rules import Rule, pick, server_rule
from promdash.backtest.run import Backtest, Plan, backtest, from_matrix, plan

__all__ = [
    "AlertHistory",
    "Backtest",
    "Interval",
    "Plan",
    "Rule",
    "State",
    "Ticks",
    "backtest",
    "from_matrix",
    "histories",
    "pick",
    "plan",
    "replay",
    "replay_sets",
    "server_rule",
    "strip",
    "tick_states",
]
