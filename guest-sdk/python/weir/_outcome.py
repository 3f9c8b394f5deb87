"""What a plugin decided about a batch: which records go on, which go to
named routes. A record neither kept nor routed is dropped."""

from wit_world.imports import types as wit


def _selection(indices):
    return wit.Selection_All() if indices is None else wit.Selection_Some(sorted(set(indices)))


class Outcome:
    def __init__(self, keep):
        self._keep = keep
        self._routes = {}

    @staticmethod
    def keep_all():
        """Every record continues (also what an in-place transform returns)."""
        return Outcome(wit.Selection_All())

    @staticmethod
    def drop_all():
        return Outcome(wit.Selection_None_())

    @staticmethod
    def keep(indices):
        """The records with these indices continue; the others are dropped."""
        return Outcome(wit.Selection_Some(list(indices)))

    @staticmethod
    def keep_where(flags):
        """Record i continues if the i-th flag is true; "keep all" or
        "drop all" when the flags are all equal (weir then touches no record)."""
        kept, total = [], 0
        for i, flag in enumerate(flags):
            total += 1
            if flag:
                kept.append(i)
        if len(kept) == total:
            return Outcome.keep_all()
        return Outcome.drop_all() if not kept else Outcome.keep(kept)

    @staticmethod
    def route(name, indices=None):
        """These records (all if None) go to route ``name``; none continues."""
        return Outcome.drop_all().also_route(name, indices)

    def also_route(self, name, indices=None):
        """Also sends these records (all if None) to route ``name``."""
        self._routes.setdefault(name, []).append(indices)
        return self

    def to_wit(self):
        routes = []
        for name, parts in self._routes.items():
            if any(p is None for p in parts):
                routes.append(wit.Route(name, wit.Selection_All()))
            else:
                routes.append(wit.Route(name, _selection(i for p in parts for i in p)))
        return wit.Outcome(self._keep, routes)
