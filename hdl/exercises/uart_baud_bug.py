"""Exercise: the UART's serial output is garbled. Find the bug with `iotlab hdl test uart_baud_bug`.

This is ``hdl.uart.Uart`` with one method changed. Read the failing testbench's message (it measures
the bit time on the TX line), compare this file with ``hdl/uart.py``, fix the method below and run the
test again. `iotlab hdl test uart_baud_bug --vcd baud.vcd` dumps the waveform for GTKWave.
"""

from __future__ import annotations

from hdl.uart import Uart as _Uart


class Uart(_Uart):
    def bit_end(self, divisor):
        """The value of the cycle counter at the last cycle of a bit (the counter starts at 0)."""
        return divisor
