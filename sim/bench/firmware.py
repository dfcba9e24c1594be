"""``iotlab bench hdl`` (its board half): a dev board's firmware in simulated time, and UART0 on the RTL.

Each case is a lab with one ``devboard`` running an example from ``scenarios/firmware/`` for the same
simulated time: blink (two hand-overs a second), the I2C sensors to the LCD (a dozen I2C transfers and an
LCD rewrite a second) and "hello" on UART0 every second with UART0 run by the behavioural model and by
the co-simulated RTL UART. Printed: simulated seconds per wall second for each, and what the RTL UART
costs against the behavioural one on the same firmware (the baseline of that pair).
"""

from __future__ import annotations

import time

from ..rooms import scenario_dir

CASES = (
    ("blink", "blink.py", {}, [], []),
    ("i2c_lcd", "i2c_lcd.py", {},
     [{"id": "lcd1", "type": "lcd1602"}, {"id": "lux1", "type": "bh1750"}, {"id": "sht1", "type": "sht3x"}],
     ["b1.i2c -> lcd1.i2c", "b1.i2c -> lux1.i2c", "b1.i2c -> sht1.i2c"]),
    ("hello_uart behavioural", "hello_uart.py", {}, [], []),
    ("hello_uart rtl", "hello_uart.py", {"peripherals": {"uart0": "rtl"}}, [], []),
)


def lab_spec(firmware: str, board: dict, extra: list, wiring: list, until: float) -> dict:
    path = scenario_dir() / "firmware" / firmware
    return {"name": "firmware bench", "lab": "bench", "seed": 1, "duration": until,
            "room": {"size_m": [5, 5]},
            "devices": [{"id": "b1", "type": "devboard", "pos_m": [1, 1], "firmware": str(path), **board}]
            + [{"pos_m": [2, 1 + i * 0.5], **d} for i, d in enumerate(extra)],
            "wiring": wiring}


def measure(until: float, case) -> dict:
    from ..scenario.builder import build
    from ..scenario.spec import Scenario
    name, firmware, board, extra, wiring = case
    sim = build(Scenario.model_validate(lab_spec(firmware, board, extra, wiring, until)))
    kinds: dict[str, int] = {}
    sim.trace.subscribe(lambda r: kinds.__setitem__(r["kind"], kinds.get(r["kind"], 0) + 1))
    start = time.perf_counter()
    try:
        sim.run(until)
    finally:
        wall = time.perf_counter() - start
        sim.close()
    return {"name": name, "sim_s": until, "wall_s": wall, "ratio": until / wall if wall else float("inf"),
            "crashes": kinds.get("crash", 0) + kinds.get("watchdog", 0), "records": sum(kinds.values())}


def main(until: float) -> int:
    runs = [measure(until, case) for case in CASES]
    print(f"Dev board firmware, {until:g} simulated s each")
    for r in runs:
        print(f"  {r['name']:<24} {r['wall_s']:8.2f} s wall {r['ratio']:>12,.0f} simulated s / wall s"
              f"  {r['records']:>7,} records{'  CRASHED' if r['crashes'] else ''}")
    beh, rtl = runs[2], runs[3]
    print(f"  UART0 on the RTL against the behavioural model (same firmware): {rtl['wall_s'] / beh['wall_s']:.1f}x "
          "the wall time")
    return 1 if any(r["crashes"] for r in runs) else 0
