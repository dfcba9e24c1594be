"""What a gateway's bus drivers share: the parts on the port, and one acquisition cycle at a time."""

from __future__ import annotations


class BusDriver:
    """Reads the parts on one of a gateway's bus ports. Each poll starts a cycle (a SimPy process, so it
    can wait out conversion and transfer times) unless the last one is still running; ``report(dev, port,
    raw)`` gets what a part returned, ``bad(dev_id, port, why, link_lost)`` what went wrong."""

    def __init__(self, gateway, port: str, report, bad, marker: str) -> None:
        net = gateway.nets.get(port)
        self.parts = [dev for dev, _ in (net.members if net else []) if hasattr(dev, marker)]
        self.gw, self.port, self.report, self.bad = gateway, port, report, bad
        self._busy = False

    def poll(self) -> None:
        if self.parts and not self._busy:
            self._busy = True
            self.gw.sim.env.process(self._run())

    def _run(self):
        try:
            yield from self.cycle()
        finally:
            self._busy = False

    def cycle(self):
        """One pass over the parts (a generator of SimPy events)."""
        raise NotImplementedError
