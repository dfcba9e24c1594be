"""Drivers a board runs against a peripheral's ``Port`` (plain Python, no amaranth): what the MCU's
runtime does with the registers, the same whichever model (behavioural or RTL) is behind the port.

``uart_send`` pushes bytes into the TX FIFO as fast as it takes them and waits for the line to go
idle (a flag that never clears, from a broken RTL, raises ``Stuck`` rather than hanging); ``decode_8n1`` reads bytes off the TX line's changes the way a receiver sampling mid-bit does;
``uart_receive`` drives a frame's bits onto RX at the sender's bit time and drains the RX FIFO as an
RX interrupt handler would.
"""

from __future__ import annotations

from bisect import bisect_right

from .regmap import UART

_TXDATA, _RXDATA, _STATUS = (UART.reg(n).addr for n in ("TXDATA", "RXDATA", "STATUS"))
_DIVISOR = UART.reg("DIVISOR").addr
_ST = UART.reg("STATUS")
TX_FULL, TX_BUSY, RX_VALID = (1 << _ST.field(n).lsb for n in ("TX_FULL", "TX_BUSY", "RX_VALID"))


def uart_divisor(port, divisor: int) -> None:
    port.write(_DIVISOR, max(2, min(0xFFFF, int(divisor))))


class Stuck(Exception):
    """A status flag the driver polls never changed: the peripheral (a broken RTL, say) hangs the CPU."""


def _poll(port, flag: int, what: str, limit: int) -> None:
    """Read STATUS until ``flag`` is clear; :class:`Stuck` after ``limit`` reads."""
    for _ in range(limit):
        if not port.read(_STATUS) & flag:
            return
    raise Stuck(f"{what} still set after {limit} reads of STATUS")


def uart_send(port, data: bytes, divisor: int = 0xFFFF) -> list[tuple[int, int]]:
    """Write ``data`` through the TX FIFO (polling TX_FULL), wait while TX_BUSY; the TX line's
    changes during the transfer as ``(cycle, level)``. A flag still set after twice the time the FIFO
    and the shifter could need at ``divisor`` (their bytes' frames, 12 bits each to spare) raises
    :class:`Stuck`."""
    limit = 2 * 12 * (max(2, divisor) + 1) * (UART.params["fifo_depth"] + 1)
    port.changes()
    for byte in data:
        _poll(port, TX_FULL, "TX_FULL", limit)
        port.write(_TXDATA, byte)
    _poll(port, TX_BUSY, "TX_BUSY", limit)
    return [(c, v) for c, k, v in port.changes() if k == "tx"]


def bit_cycles(edges: list[tuple[int, int]], nbytes: int, end: int) -> int:
    """The bit time the transmitter kept, from its first start bit to the end of the transfer
    (``nbytes`` frames of 10 bits; the FIFO adds one idle cycle between frames)."""
    falls = [c for c, v in edges if v == 0]
    if not falls or nbytes < 1:
        return 0
    return max(1, round((end - falls[0] - (nbytes - 1)) / (10 * nbytes)))


def decode_8n1(edges: list[tuple[int, int]], bit: int) -> bytes:
    """The 8N1 bytes on a line given as ``(cycle, level)`` changes (idle high), ``bit`` cycles a bit,
    each bit sampled mid-bit after a falling start edge."""
    cycles = [c for c, _ in edges]

    def level(cycle: int) -> int:
        i = bisect_right(cycles, cycle)
        return edges[i - 1][1] if i else 1

    out, pos = bytearray(), -1
    for c, v in edges:
        if v or c <= pos:
            continue
        out.append(sum(level(c + bit // 2 + (i + 1) * bit) << i for i in range(8)))
        pos = c + bit // 2 + 9 * bit
    return bytes(out)


def uart_receive(port, data: bytes, bit: int, parity: str = "N") -> bytes:
    """Drive ``data`` onto RX as frames of ``bit`` cycles a bit (start, 8 data LSB first, an even/odd
    parity bit when ``parity`` says so, stop), reading RXDATA after each frame while RX_VALID is set; what the
    peripheral received."""
    got = bytearray()
    depth = UART.params["fifo_depth"]

    def drain():
        for _ in range(4 * depth):
            if not port.read(_STATUS) & RX_VALID:
                return
            got.append(port.read(_RXDATA))
        raise Stuck(f"RX_VALID still set after {4 * depth} reads of RXDATA (a FIFO of {depth})")

    for byte in data:
        bits = [(byte >> i) & 1 for i in range(8)]
        if parity in ("E", "O"):
            bits.append((sum(bits) + (parity == "O")) & 1)
        for level in [0] + bits + [1]:
            port.set("rx", level)
            port.run(max(1, int(bit)))
        drain()                        # after the stop bit: the read cycles are idle line between frames
    port.run(2 * max(1, int(bit)))
    drain()
    return bytes(got)
