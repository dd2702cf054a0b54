"""Record a running promdash stack's service rows for the Stack panel snapshots.

    python -m tests.tui.record_stack_status [--name STACK] [--out FILE]

Run it right after scripts/record-fixtures.py, against the same stack, so the
uptimes match the recorded clock (tests/data/recorded/manifest.json).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from promdash.stack.runtimes import runtime_for, state_for

OUT = Path(__file__).resolve().parent / "data" / "stack_status.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", help="stack name (default: the most recently started)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    state = state_for(args.name)
    rows = [asdict(row) for row in runtime_for(state).status(state)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"recorded {len(rows)} services of stack {state.name!r} into {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
