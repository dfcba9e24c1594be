"""Co-simulation bridge: an Amaranth RTL peripheral behind the same ``Port`` as its behavioural model.

``RtlPort(name)`` elaborates the component and keeps one Amaranth ``Simulator`` with one testbench
coroutine that applies, each cycle, the bus operation and input pins the bridge hands it, and samples
``r_data`` and the outputs before the clock edge (as ``hdl.testbench.run_rtl`` does). The bridge steps
the simulator only as far as that coroutine has consumed the operation (``Simulator.advance``), so
the simulator runs only while the board clocks it; ``Port.run`` stops clocking as soon as the
component's ``active`` output is low, so an idle RTL UART costs nothing however long the board sleeps.

This is the only ``hdl`` module meant to meet the simulation kernel (``sim``); the kernel reaches it
by name (``hdl.models.open_port(name, "rtl")``), never by an import.
"""

from __future__ import annotations

from amaranth.sim import Simulator

from .models import VARIANTS, Port
from .testbench import CLOCK_PERIOD, component

_BUS = ("addr", "w_data", "w_stb", "r_stb")
_OUTPUTS = {"gpio": ("pins_o", "pins_oe", "irq", "active"), "timer": ("pwm", "irq", "active"),
            "uart": ("tx", "irq", "active")}


class RtlPort(Port):
    def __init__(self, name: str, dut=None, vcd: str | None = None):
        super().__init__(VARIANTS.get(name, name))
        self.dut = dut if dut is not None else component(name)()
        self._op: dict | None = None
        self._sample = None
        self._taken = 0
        self._sim = Simulator(self.dut)
        self._sim.add_clock(CLOCK_PERIOD)
        self._sim.add_testbench(self._bench)
        self._vcd = self._sim.write_vcd(vcd) if vcd else None
        if self._vcd is not None:
            self._vcd.__enter__()

    async def _bench(self, ctx):
        dut = self.dut
        outs = [(o, getattr(dut, o)) for o in _OUTPUTS[self.name]]
        r_data = dut.bus.r_data
        ports: dict = {}
        driven: dict = {}                          # what each input was last set to: only changes are set
        while True:
            for key, value in self._op.items():
                if driven.get(key) != value:
                    port = ports.get(key)
                    if port is None:
                        port = ports[key] = getattr(dut.bus, key) if key in _BUS else getattr(dut, key)
                    ctx.set(port, value)
                    driven[key] = value
            self._sample = (ctx.get(r_data), {o: ctx.get(sig) for o, sig in outs})
            self._taken += 1
            await ctx.tick()                       # the bridge stops advancing here until its next op

    _given = 0

    def _cycle(self, op):
        self._op = op
        self._given += 1
        while self._taken < self._given:
            self._sim.advance()
        return self._sample

    def close(self):
        if self._vcd is not None:
            self._vcd.__exit__(None, None, None)
            self._vcd = None
