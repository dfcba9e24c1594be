"""1-Wire (Dallas/Maxim) at the transaction level, and the gateway's 1-Wire driver.

A transaction is a reset (every powered slave answers with a presence pulse), a ROM command
(Match ROM 0x55 + 8 ROM bytes selects one slave; Skip ROM 0xCC selects all), a function
command, and read slots. The bus is open-drain with a pull-up: a bit nobody drives reads 1,
and slaves driving at once read as the AND of their bits (so Read ROM 0x33 with two slaves on
the bus gives a ROM whose CRC fails). Standard speed: a reset takes 960 µs, a byte about 0.56 ms.
"""

from __future__ import annotations

from .bus_driver import BusDriver
from .crc import crc8_maxim

MATCH_ROM, SKIP_ROM, READ_ROM = 0x55, 0xCC, 0x33
CONVERT_T, READ_SCRATCHPAD = 0x44, 0xBE
RESET_S = 0.00096
BYTE_S = 8 * 0.00007


def rom_code(family: int, serial: int) -> bytes:
    """The 64-bit ROM: family code, 48-bit serial number (least significant byte first), CRC-8."""
    body = bytes([family]) + serial.to_bytes(6, "little")
    return body + bytes([crc8_maxim(body)])


def rom_text(rom: bytes) -> str:
    """A ROM as Linux's w1 subsystem names the device: ``28-0000072a3b5c``."""
    return f"{rom[0]:02x}-{rom[6:0:-1].hex()}"


def _slaves(master, port: str) -> list:
    net = master.nets.get(port)
    if net is None:
        return []
    return [dev for dev, _ in net.reachable(master) if dev.powered and hasattr(dev, "onewire_rom")]


def _wired_and(answers: list[bytes], n: int) -> bytes:
    data = bytes([0xFF] * n)
    for answer in answers:
        data = bytes(a & b for a, b in zip(data, answer.ljust(n, b"\xff")))
    return data


def transaction(master, port: str, rom: bytes | None, command: int, write: bytes = b"",
                read: int = 0) -> tuple[bool, bytes]:
    """Reset, select ``rom`` (None: Skip ROM), send ``command`` and ``write``, read ``read`` bytes.

    Returns (presence pulse seen, the bytes read)."""
    slaves = _slaves(master, port)
    chosen = slaves if rom is None else [d for d in slaves if d.onewire_rom == rom]
    answers = [d.onewire_function(command, write, read) for d in chosen]
    return bool(slaves), _wired_and(answers, read)


def read_rom(master, port: str) -> tuple[bool, bytes]:
    """Reset + Read ROM: only meaningful with one slave on the bus."""
    slaves = _slaves(master, port)
    return bool(slaves), _wired_and([d.onewire_rom for d in slaves], 8)


def transaction_s(n_bytes: int) -> float:
    """How long a reset and ``n_bytes`` bytes take on the wire."""
    return RESET_S + n_bytes * BYTE_S


class OneWireMaster(BusDriver):
    """The gateway's 1-Wire driver: each poll, Match ROM + Convert T for every part on the bus, wait for
    the slowest conversion (per each part's configured resolution, learnt from its scratchpad), then
    Match ROM + Read Scratchpad for each, checking the CRC; a part that does not answer or a bad CRC
    is reported as bad."""

    def __init__(self, gateway, port: str, report, bad) -> None:
        super().__init__(gateway, port, report, bad, "onewire_rom")
        self._wait = {dev.id: max(dev.CONVERSION_S.values()) for dev in self.parts}

    def _send(self, dev, command: int, read: int = 0) -> tuple[bool, bytes]:
        frame = bytes([MATCH_ROM]) + dev.onewire_rom + bytes([command])
        self.gw.emit("frame.tx", port=self.port, bus="onewire", data=frame.hex(" ").upper())
        return transaction(self.gw, self.port, dev.onewire_rom, command, read=read)

    def cycle(self):
        gw, env = self.gw, self.gw.sim.env
        for dev in self.parts:
            if not gw.powered:
                return
            self._send(dev, CONVERT_T)
            yield env.timeout(transaction_s(10))
        yield env.timeout(max(self._wait[dev.id] for dev in self.parts))
        for dev in self.parts:
            if not gw.powered:
                return
            presence, data = self._send(dev, READ_SCRATCHPAD, 9)
            yield env.timeout(transaction_s(19))
            self._check(dev, presence, data)

    def _check(self, dev, presence: bool, data: bytes) -> None:
        gw, port = self.gw, self.port
        if not presence or data == b"\xff" * 9:
            gw.emit("frame.lost", port=port, bus="onewire", reason="no_response", device=dev.id)
            why = "no presence pulse on the 1-Wire bus" if not presence else \
                f"no answer from 1-Wire ROM {rom_text(dev.onewire_rom)}"
            self.bad(dev.id, port, why, True)
            return
        gw.emit("frame.rx", port=port, bus="onewire", data=data.hex(" ").upper())
        if crc8_maxim(data[:8]) != data[8]:
            gw.emit("frame.lost", port=port, bus="onewire", reason="crc", device=dev.id)
            self.bad(dev.id, port, f"scratchpad CRC error from 1-Wire ROM {rom_text(dev.onewire_rom)}", False)
            return
        self._wait[dev.id] = dev.CONVERSION_S.get(9 + (data[4] >> 5 & 3), self._wait[dev.id])
        self.report(dev, port, data)
