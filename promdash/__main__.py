"""The `promdash` command's entry point (and `python -m promdash`).

Ctrl-C while Python is still importing promdash would print a KeyboardInterrupt
traceback from inside some import. Until `main()` runs, SIGINT therefore
keeps its default action: the process ends at once, quietly, with the status
a shell reports as 130. `main()` then turns it back into KeyboardInterrupt,
which it handles itself.
"""

# `_signal`, not `signal`: the latter imports enum, itself a window for Ctrl-C.
import _signal
import sys


def run() -> None:
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    from promdash.cli import main

    sys.exit(main())


if __name__ == "__main__":
    run()
