"""``iotlab bench hdl`` (its HDL half): the co-simulated RTL UART against bare Amaranth and the model.

One transfer, three ways, in the same run: ``NBYTES`` bytes sent through the UART the way a board's
driver sends them (``hdl.driver.uart_send``: poll STATUS.TX_FULL, write TXDATA, poll TX_BUSY to the
end) at ``baud`` with the peripheral clocked at ``clock_hz`` (DIVISOR = clock / baud):

- **bridged**: the RTL behind ``hdl.bridge.RtlPort``, the way a board with ``peripherals: {uart0: rtl}``
  runs it (one bus operation a cycle handed to the Amaranth simulator);
- **bare**: the same component in a plain Amaranth testbench doing the same register operations, cycle
  for cycle, setting only the inputs that change (the baseline: what Amaranth's simulator does without
  the bridge);
- **behavioural**: the Python model behind ``hdl.models.ModelPort``.

Each decodes the bytes off its TX line and checks them against what was sent. Printed: cycles, wall
time, cycles per second, the bridge's ratio to bare (target >= 0.8) and the model's speed-up over the
bridged RTL.
"""

from __future__ import annotations

import random
import time

from amaranth.sim import Simulator

from .bridge import RtlPort
from .driver import TX_BUSY, TX_FULL, bit_cycles, decode_8n1, uart_divisor, uart_send
from .models import ModelPort
from .regmap import UART
from .testbench import CLOCK_PERIOD, component

NBYTES = 1024
TARGET = 0.8


def payload(n: int = NBYTES) -> bytes:
    return bytes(random.Random(7).randrange(256) for _ in range(n))


def bridged(port, data: bytes, divisor: int) -> dict:
    start = time.perf_counter()
    uart_divisor(port, divisor)
    c0 = port.cycle
    edges = uart_send(port, data)
    wall = time.perf_counter() - start
    return _result(wall, port.cycle, edges, len(data), c0)


def bare(data: bytes, divisor: int) -> dict:
    """The baseline: an Amaranth testbench doing the driver's register operations itself."""
    dut = component("uart")()
    status, txdata, div = (UART.reg(n).addr for n in ("STATUS", "TXDATA", "DIVISOR"))
    edges: list = []
    count = [0, 0]                        # cycles; the cycle the transfer began

    async def bench(ctx):
        bus, last = dut.bus, 1
        sigs = (bus.addr, bus.w_data, bus.w_stb, bus.r_stb)
        driven = [0, 0, 0, 0]

        async def cycle(addr, w_data=0, w_stb=0, r_stb=0):
            nonlocal last
            for i, value in enumerate((addr, w_data, w_stb, r_stb)):
                if driven[i] != value:              # set only what changes, as the bridge does
                    ctx.set(sigs[i], value)
                    driven[i] = value
            r_data, tx = ctx.get(bus.r_data), ctx.get(dut.tx)
            if tx != last:
                edges.append((count[0], tx))
                last = tx
            count[0] += 1
            await ctx.tick()
            return r_data

        await cycle(div, divisor, w_stb=1)
        count[1] = count[0]
        for byte in data:
            while await cycle(status, r_stb=1) & TX_FULL:
                pass
            await cycle(txdata, byte, w_stb=1)
        while await cycle(status, r_stb=1) & TX_BUSY:
            pass

    sim = Simulator(dut)
    sim.add_clock(CLOCK_PERIOD)
    sim.add_testbench(bench)
    start = time.perf_counter()
    sim.run()
    wall = time.perf_counter() - start
    return _result(wall, count[0], edges, len(data), count[1])


def _result(wall: float, end: int, edges: list, nbytes: int, began: int) -> dict:
    bit = bit_cycles(edges, nbytes, end)
    return {"cycles": end - began, "wall_s": wall, "cycles_per_s": (end - began) / wall if wall else 0.0,
            "bit_cycles": bit, "decoded": decode_8n1(edges, bit) if bit else b""}


def run(nbytes: int = NBYTES, baud: int = 115200, clock_hz: int = 921_600) -> dict:
    data = payload(nbytes)
    divisor = max(2, round(clock_hz / baud))
    runs = {"bare": bare(data, divisor), "bridged": bridged(RtlPort("uart"), data, divisor),
            "behavioural": bridged(ModelPort("uart"), data, divisor)}
    for r in runs.values():
        r["ok"] = r["decoded"] == data
    return {"bytes": nbytes, "baud": baud, "clock_hz": clock_hz, "divisor": divisor, "runs": runs,
            "ratio": runs["bridged"]["cycles_per_s"] / runs["bare"]["cycles_per_s"],
            "speedup": runs["bridged"]["wall_s"] / runs["behavioural"]["wall_s"]}


def main(nbytes: int = NBYTES) -> int:
    """Print the figures; exit 1 when a transfer decoded wrong (the ratio is a figure, not a pass/fail)."""
    res = run(nbytes)
    print(f"RTL UART: {res['bytes']} bytes at {res['baud']} baud, clock {res['clock_hz'] / 1e3:g} kHz "
          f"(DIVISOR {res['divisor']}), sent the way a board's driver sends them")
    for name, r in res["runs"].items():
        print(f"  {name:<12} {r['cycles']:>9,} cycles {r['wall_s']:8.3f} s wall {r['cycles_per_s']:>12,.0f} cycles/s"
              f"  bit {r['bit_cycles']} cycles, decoded {'OK' if r['ok'] else 'WRONG'}")
    print(f"  bridge / bare Amaranth: {res['ratio']:.3f} (target >= {TARGET})")
    print(f"  behavioural speed-up over the bridged RTL: {res['speedup']:.0f}x")
    return 0 if all(r["ok"] for r in res["runs"].values()) else 1
