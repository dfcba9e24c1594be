"""Exercise: press KEY1 and the board hangs, then resets. Find the bug with `iotlab hdl test gpio_irq_bug`.

This is ``hdl.gpio.Gpio`` with one method changed. The board's interrupt runtime clears a pin's pending
bit (writes 1 to its bit of IRQ_PEND) before it runs the pin's handler, and runs handlers again while
``irq`` stays high. Read the failing testbench's message, compare this file with ``hdl/gpio.py`` and the
register map (`iotlab hdl list -v`: IRQ_PEND is write-1-to-clear), fix the method below and run the test
again. `iotlab hdl test gpio_irq_bug --vcd irq.vcd` dumps the waveform for GTKWave.
"""

from __future__ import annotations

from hdl.gpio import Gpio as _Gpio


class Gpio(_Gpio):
    def next_pending(self, pend, clear, edges):
        """IRQ_PEND at the next edge: an edge sets its pin's bit; writing 1 to a bit clears it."""
        return pend | edges
