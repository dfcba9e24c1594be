"""Modbus RTU bytes against the frames in PROTOCOLS.md and the standard's rules."""

import pytest

from devices.modbus import (RegisterSlave, crc16, crc_ok, parse_registers_reply, read_request, registers_reply,
                            with_crc, write_single_request)


@pytest.mark.parametrize("frame", [
    "01 03 00 00 00 02 C4 0B",      # read humidity + temperature
    "02 03 00 07 00 01 35 F8",      # light sensor at address 2, register 7
    "03 01 00 00 00 04 3C 2B",      # read four relay coils
    "03 05 00 00 FF 00 8D D8",      # DO1 on
    "03 05 00 00 00 00 CC 28",      # DO1 off
    "06 06 00 02 00 06 A9 BF",      # set address to 6
    "01 04 00 01 00 02 20 0B",      # SHT20-type probe, FC04
])
def test_crc_matches_the_published_frames(frame):
    data = bytes.fromhex(frame)
    assert with_crc(data[:-2]) == data
    assert crc_ok(data)


def test_crc16_check_value():
    assert crc16(b"123456789") == 0x4B37         # CRC-16/MODBUS check value


def test_request_builders():
    assert read_request(1, 3, 0, 2).hex(" ").upper() == "01 03 00 00 00 02 C4 0B"
    assert write_single_request(6, 2, 6).hex(" ").upper() == "06 06 00 02 00 06 A9 BF"


def slave():
    regs = {0: 512, 1: 0xFF9C}
    def write(register, value):
        if register != 5:
            return "address"
        if value > 100:
            return "value"
        regs[5] = value
    return RegisterSlave(regs.get, write), regs


def test_slave_answers_fc03_and_fc04_with_registers():
    s, _ = slave()
    reply = s.answer(1, read_request(1, 3, 0, 2))
    assert reply == registers_reply(1, 3, [512, 0xFF9C])
    assert parse_registers_reply(reply, 1, 3, 2) == [512, 0xFF9C]
    assert parse_registers_reply(s.answer(1, read_request(1, 4, 0, 2)), 1, 4, 2) == [512, 0xFF9C]


def test_slave_is_silent_on_another_address_or_a_bad_crc():
    s, _ = slave()
    assert s.answer(1, read_request(2, 3, 0, 2)) is None
    bad = bytearray(read_request(1, 3, 0, 2))
    bad[-1] ^= 0xFF
    assert s.answer(1, bytes(bad)) is None


@pytest.mark.parametrize("request_, code", [
    (with_crc(bytes([1, 0x2B, 0, 0])), 0x01),            # illegal function
    (read_request(1, 3, 0x10, 1), 0x02),                 # illegal data address
    (read_request(1, 3, 0, 200), 0x03),                  # illegal data value (count)
    (write_single_request(1, 9, 1), 0x02),
    (write_single_request(1, 5, 500), 0x03),
])
def test_slave_exceptions(request_, code):
    s, _ = slave()
    reply = s.answer(1, request_)
    assert reply[1] == request_[1] | 0x80 and reply[2] == code and crc_ok(reply)
    assert parse_registers_reply(reply, 1, request_[1], 1) == f"exception {code:02X}"


def test_fc06_echoes_and_writes():
    s, regs = slave()
    request_ = write_single_request(1, 5, 42)
    assert s.answer(1, request_) == request_ and regs[5] == 42


def test_reply_parser_rejects_corruption():
    reply = bytearray(registers_reply(1, 3, [1, 2]))
    reply[3] ^= 0x10
    assert parse_registers_reply(bytes(reply), 1, 3, 2) == "crc"
    assert parse_registers_reply(registers_reply(1, 3, [1]), 1, 3, 2) == "malformed"
