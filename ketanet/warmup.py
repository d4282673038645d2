"""What a web worker does once, before its first request (ketanet/gunicorn.conf.py)."""

import gc


def warm_up() -> None:
    """Load the map outlines, then take everything loaded so far out of the cycle
    collector's sight (gc.freeze()).

    The outlines are a few hundred thousand tuples that live as long as the
    process: every full collection walked them all (about 120 ms, every few
    hundred searches), and the first map of each worker waited for them to load.
    Frozen objects are never collected; nothing loaded here is ever let go.
    """
    from directory.atlas import atlas

    atlas()
    gc.collect()
    gc.freeze()
