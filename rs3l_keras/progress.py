"""Progress bars for long loops outside `fit` (scoring, embedding), drawn with rich (which
Keras itself depends on) on stderr, so printed results on stdout stay clean."""

VERBOSE = ("auto", 0, 1, 2)


def track(iterable, description, total=None, verbose="auto"):
    """`iterable`, wrapped in a progress bar when `verbose` asks for one.

    Args:
        iterable: what the loop runs over.
        description: str shown left of the bar.
        total: int or None (default: `len(iterable)`).
        verbose: `"auto"` (default: a bar only when stderr is a terminal, so test logs,
            pipes and notebooks stay quiet), 1 / True (always), 0 / False or 2 (never;
            2 as in Keras, one line per epoch and no bar).

    >>> list(track(range(3), "counting", verbose=0))
    [0, 1, 2]
    """
    if isinstance(verbose, bool):
        verbose = int(verbose)
    if verbose not in VERBOSE:
        raise ValueError(f"`verbose` must be one of {list(VERBOSE)} (or a bool), received {verbose!r}.")
    if verbose in (0, 2):
        return iterable
    from rich.console import Console

    console = Console(stderr=True)
    if verbose == "auto" and not console.is_terminal:
        return iterable
    from rich.progress import track as rich_track

    return rich_track(iterable, description=description, total=total, console=console)
