"""The AT-command framework (devices/at.py) on a small module of its own, and the UART byte layer under it."""

import pytest

from devices.at import ATError, ATModule, Dialect, Reply, at_command, split_args
from sim.buses import frame_time_s
from sim.device import Device, DeviceParams
from sim.uart import attach, uart_port
from sim.wiring import Link

from at_support import Term


class ToyParams(DeviceParams):
    baud: int = 9600


class Toy(ATModule, Device):
    """A module with one of each kind of command."""
    TITLE, TITLE_ZH = "toy", "toy"
    Params = ToyParams
    DIALECT = Dialect("toy", terminator="crlf", busy="busy p...", max_line=32, errors={"range": "+CME ERROR: 3"})

    @classmethod
    def port_specs(cls, params):
        return {"uart": uart_port()}

    def nv_defaults(self):
        return {**super().nv_defaults(), "level": 1, "name": "toy"}

    @at_command("+LEVEL", "query", "set", "test")
    def _level(self, call):
        if call.form == "test":
            return "+LEVEL:(0-5)"
        if call.form == "query":
            return f"+LEVEL:{self.nv['level']}"
        call.count(1)
        self.nv["level"] = call.int(0, 0, 5)

    @at_command("+NAME", "set", "query")
    def _name(self, call):
        if call.form == "query":
            return f'+NAME:"{self.nv["name"]}"'
        call.count(1)
        self.nv["name"] = call.str(0, max_len=8, min_len=1, quoted=True)

    @at_command("&W", "exec")
    def _save(self, call):
        self.save()

    @at_command("+SLOW", "exec")
    def _slow(self, call):
        yield self.sim.env.timeout(2.0)
        return Reply(["+SLOW:done"], "OK")

    @at_command("+SEND", "set")
    def _send(self, call):
        call.count(1)
        n = call.int(0, 1, 100)
        return self._collect(n)

    def _collect(self, n):
        data = yield self.at.read_data(length=n)
        return Reply([f"+GOT:{data.decode()}"], "SEND OK")

    @at_command("+MSG", "exec")
    def _msg(self, call):
        data = yield self.at.read_data(ctrl_z=True)
        return Reply([], "CANCELLED") if data is None else Reply([f"+MSG:{data.decode()}"], "OK")

    @at_command("+PIPE", "exec")
    def _pipe(self, call):
        self.piped = []
        self.at.final("OK")
        yield self.at.transparent(self.piped.append, guard_s=1.0, pack_s=0.02)
        return Reply([], "EXIT")

    @at_command("+RING", "exec")
    def _ring(self, call):
        self.at.spawn(self._ring_later())

    def _ring_later(self):
        yield self.sim.env.timeout(1.0)
        self.at.urc("RING")

    @at_command("+BUG", "exec")
    def _bug(self, call):
        raise RuntimeError("a model error")


class HmToy(Toy):
    DIALECT = Dialect("hm", terminator="none", syntax="suffix", info="{}", final="{}", urc="{}", echo=False,
                      error="", gap_s=0.05, case_insensitive=False)

    @at_command("+ROLE", "query", "set")
    def _role(self, call):
        if call.form == "query":
            return Reply([], f"OK+Get:{self.nv['level']}")
        if call.args[0] not in ("0", "1"):
            raise ATError("range")
        self.nv["level"] = int(call.args[0])
        return Reply([], f"OK+Set:{call.args[0]}")


class CrToy(Toy):
    DIALECT = Dialect("cr", terminator="cr", info="{}\r\n", info_lead="\r\n", final="\r\n{}\r\n")


def make(sim, cls=Toy, dev_id="m1"):
    dev = cls(sim, dev_id, cls.Params(), (0.0, 0.0))
    dev.TYPE = "toy"
    sim.devices[dev_id] = dev
    dev.start()
    return dev


@pytest.fixture
def toy(sim, trace):
    dev = make(sim)
    term = Term(sim, "m1")
    term.run(0.1)
    return dev, term, trace


# -- parsing ------------------------------------------------------------------------------------------------
def test_arguments_split_on_commas_outside_quotes_with_esp_at_escapes():
    assert split_args('0,"a,b","say \\"hi\\"",x') == (["0", "a,b", 'say "hi"', "x"], [False, True, True, False])
    assert split_args('1,') == (["1", ""], [False, False])
    assert split_args('"open') is None
    assert split_args('"a"b') is None


# -- the four forms, echo and errors ---------------------------------------------------------------------------
def test_query_set_test_and_exec_forms(toy):
    dev, t, _ = toy
    assert t.cmd("AT") == "AT\r\n\r\nOK\r\n"
    assert t.cmd("AT+LEVEL?") == "AT+LEVEL?\r\n+LEVEL:1\r\n\r\nOK\r\n"
    assert t.cmd("AT+LEVEL=?") == "AT+LEVEL=?\r\n+LEVEL:(0-5)\r\n\r\nOK\r\n"
    assert t.cmd("AT+LEVEL=4") == "AT+LEVEL=4\r\n\r\nOK\r\n"
    assert dev.nv["level"] == 4
    assert t.cmd("at+level?") == "at+level?\r\n+LEVEL:4\r\n\r\nOK\r\n"     # names in either case


def test_echo_off_and_on(toy):
    _, t, _ = toy
    assert t.cmd("ATE0") == "ATE0\r\n\r\nOK\r\n"        # the command itself still echoed as typed
    assert t.cmd("AT") == "\r\nOK\r\n"
    assert t.cmd("ATE1") == "\r\nOK\r\n"
    assert t.cmd("AT") == "AT\r\n\r\nOK\r\n"
    assert t.cmd("ATE7") == "ATE7\r\n\r\n+CME ERROR: 3\r\n"


@pytest.mark.parametrize("line, reply", [
    ("AT+NOPE", "ERROR"),                 # unknown command
    ("AT+LEVEL", "ERROR"),                # a form the command does not have
    ("AT+LEVEL=1,2", "ERROR"),            # wrong argument count
    ("AT+LEVEL=", "ERROR"),               # missing argument
    ("AT+LEVEL=9", "+CME ERROR: 3"),      # out of range: this module's range error
    ("AT+LEVEL=x", "+CME ERROR: 3"),      # not a number
    ("AT+LEVEL=\"2\"", "+CME ERROR: 3"),  # a number in quotes
    ('AT+NAME="toolongname"', "+CME ERROR: 3"),
    ("AT+NAME=abc", "ERROR"),             # must be quoted
    ("AT+NAME=\"abc", "ERROR"),           # quote left open
    ("XYZ", "ERROR"),                     # not a command at all
    ("AT+LEVEL?junk", "ERROR"),
])
def test_bad_commands_get_exactly_the_error_reply_and_change_nothing(toy, line, reply):
    dev, t, _ = toy
    before = dict(dev.nv)
    assert t.cmd(line) == f"{line}\r\n\r\n{reply}\r\n"
    assert dev.nv == before
    assert t.cmd("AT+LEVEL?").endswith("+LEVEL:1\r\n\r\nOK\r\n")


def test_overlong_line_gets_one_error_and_is_dropped(toy):
    dev, t, _ = toy
    before = dict(dev.nv)
    line = "AT+LEVEL=3" + "3" * 200
    out = t.cmd(line)
    assert out == line + "\r\n\r\nERROR\r\n"
    assert dev.nv == before
    assert t.cmd("AT").endswith("\r\nOK\r\n")


def test_binary_noise_gets_the_error_reply_never_a_crash(toy):
    dev, t, trace = toy
    t.cmd("ATE0")
    before = dict(dev.nv)
    assert t.cmd(b"\x00\xff\xfeAT+LEVEL=0\x07\r\n") == "\r\nERROR\r\n"
    assert t.cmd(b"\x13\x37" * 100) == ""                  # no line end yet: nothing to answer
    assert t.cmd(b"\r\n") == "\r\nERROR\r\n"               # the line ends: one error for all of it
    assert t.cmd("AT\n") == "\r\nERROR\r\n"                # LF without CR on a CR LF module
    assert dev.nv == before
    assert t.cmd("AT") == "\r\nOK\r\n"
    assert not [r for r in trace.records if r["kind"] == "at.error"]


def test_a_model_error_answers_error_and_is_traced(toy):
    _, t, trace = toy
    assert t.cmd("AT+BUG").endswith("\r\nERROR\r\n")
    assert [r["error"] for r in trace.records if r["kind"] == "at.error"] == ["RuntimeError: a model error"]
    assert t.cmd("AT").endswith("OK\r\n")


def test_empty_lines_are_ignored(toy):
    _, t, _ = toy
    t.cmd("ATE0")
    assert t.cmd(b"\r\n\r\n") == ""


# -- long commands, prompts, transparent mode, URCs ----------------------------------------------------------
def test_busy_while_a_command_runs(toy):
    _, t, _ = toy
    t.cmd("ATE0")
    t.send("AT+SLOW\r\n")
    t.run(0.5)
    assert t.cmd("AT") == "busy p...\r\n"
    t.run(2.0)
    assert t.take() == "+SLOW:done\r\n\r\nOK\r\n"


def test_data_prompt_collects_exactly_the_length(toy):
    _, t, _ = toy
    t.cmd("ATE0")
    assert t.cmd("AT+SEND=5") == "> "
    assert t.cmd(b"hel") == ""
    assert t.cmd(b"loAT\r\n") == "+GOT:hello\r\n\r\nSEND OK\r\n\r\nOK\r\n"   # what follows is a command again


def test_ctrl_z_ends_the_data_and_esc_cancels(toy):
    _, t, _ = toy
    t.cmd("ATE0")
    t.cmd("AT+MSG")
    assert t.cmd(b"line one\r\nline two\x1a") == "+MSG:line one\r\nline two\r\n\r\nOK\r\n"
    t.cmd("AT+MSG")
    assert t.cmd(b"never mind\x1b") == "\r\nCANCELLED\r\n"


def test_transparent_mode_leaves_on_plus_plus_plus_with_guard_times(toy):
    dev, t, _ = toy
    t.cmd("ATE0")
    t.cmd("AT+PIPE", wait_s=1.5)
    t.send(b"data")
    t.run(0.1)
    t.send(b"+++more")                     # not alone: data
    t.run(1.5)
    t.send(b"+++")                         # alone, but only 0.1 s after data: still data
    t.run(0.1)
    t.send(b"x")
    t.run(1.5)
    assert b"".join(dev.piped) == b"data+++more+++x"
    assert t.take() == ""
    t.send(b"+++")                         # 1.5 s of silence before and 1 s after: escape
    t.run(1.2)
    assert t.take() == "\r\nEXIT\r\n"
    assert t.cmd("AT") == "\r\nOK\r\n"


def test_urcs_arrive_while_the_module_takes_commands(toy):
    _, t, _ = toy
    t.cmd("ATE0")
    assert t.cmd("AT+RING", 0.2) == "\r\nOK\r\n"
    assert t.cmd("AT", 1.0) == "\r\nOK\r\n\r\nRING\r\n"


# -- saved settings ----------------------------------------------------------------------------------------
def test_saved_settings_survive_a_power_cycle_and_unsaved_do_not(toy):
    dev, t, _ = toy
    t.cmd("AT+LEVEL=3")
    t.cmd("AT&W")
    t.cmd('AT+NAME="new"')
    t.cmd("ATE0")
    dev.set_power(False)
    t.run(0.5)
    assert t.cmd("AT") == ""                     # no power, no answer
    dev.set_power(True)
    t.run(0.1)
    assert t.cmd("AT+LEVEL?") == "AT+LEVEL?\r\n+LEVEL:3\r\n\r\nOK\r\n"   # echo back on: ATE0 was not saved
    assert t.cmd("AT+NAME?").endswith('+NAME:"toy"\r\n\r\nOK\r\n')


def test_a_power_cut_in_the_middle_of_a_command_is_silent(toy):
    dev, t, trace = toy
    t.send("AT+SLOW\r\n")
    t.run(0.5)
    dev.set_power(False)
    t.run(3.0)
    dev.set_power(True)
    t.run(0.1)
    assert "+SLOW:done" not in t.take()
    assert t.cmd("AT").endswith("OK\r\n")
    assert not [r for r in trace.records if r["kind"] == "at.error"]


# -- other line disciplines -----------------------------------------------------------------------------------
def test_cr_terminated_module_ignores_the_lf_after_cr(sim):
    make(sim, CrToy, "q1")
    t = Term(sim, "q1", eol="\r")
    t.run(0.1)
    t.cmd("ATE0")
    assert t.cmd("AT+LEVEL?") == "\r\n+LEVEL:1\r\n\r\nOK\r\n"
    assert t.cmd(b"AT+LEVEL?\r\n") == "\r\n+LEVEL:1\r\n\r\nOK\r\n"


def test_hm10_style_commands_end_when_the_line_goes_quiet(sim):
    dev = make(sim, HmToy, "h1")
    t = Term(sim, "h1", eol="")
    t.run(0.1)
    assert t.cmd("AT") == "OK"
    assert t.cmd("AT+ROLE?") == "OK+Get:1"
    assert t.cmd("AT+ROLE0") == "OK+Set:0"
    assert t.cmd("AT+ROLE7") == ""                   # this module answers nothing to a bad command
    assert t.cmd("AT+ROLE1\r\n") == ""               # line ending sent: part of the command, so unknown
    assert t.cmd("at+role1") == ""                   # case matters on this module
    assert dev.nv["level"] == 0
    t.send("AT+RO")                                  # typed slowly: two commands, neither complete
    t.run(0.2)
    t.send("LE?")
    t.run(0.2)
    assert t.take() == ""


# -- the UART layer --------------------------------------------------------------------------------------------
def test_bytes_take_their_time_on_the_line(toy):
    dev, t, _ = toy
    t.cmd("ATE0")
    t.send("AT\r\n")
    start = dev.sim.now
    arrived = []
    t.adapter.on_output = lambda data: arrived.append((dev.sim.now, data))
    t.run(0.5)
    # 4 bytes in at 9600 8N1, then 6 bytes out: each byte is 10 bits
    assert arrived[0][1] == b"\r\nOK\r\n"
    assert arrived[0][0] == pytest.approx(start + frame_time_s(4, 9600) + frame_time_s(6, 9600))


def test_a_terminal_at_another_baud_reads_garbage(sim):
    make(sim)
    wrong = Term(sim, "m1", baud=115200)
    wrong.run(0.1)
    out = wrong.cmd("AT")
    assert out and "OK" not in out


def test_two_wired_uarts_talk_through_their_own_settings(sim):
    a, b = make(sim, Toy, "a"), make(sim, Toy, "b")
    link = Link(a, "uart", b, "uart")
    a.links["uart"].append(link)
    b.links["uart"].append(link)
    got = []
    b.uart_receive = lambda port, data: got.append(data)
    a.uart_send("uart", b"hello")
    sim.advance_to(sim.now + 0.1)
    assert got == [b"hello"]
    b.nv["baud"] = 19200
    a.uart_send("uart", b"hello")
    sim.advance_to(sim.now + 0.1)
    assert got[1] != b"hello"
    link.cut()
    a.uart_send("uart", b"hello")
    sim.advance_to(sim.now + 0.1)
    assert len(got) == 2


def test_attach_names_the_uarts_of_a_device_without_one(sim):
    dev = make(sim)
    with pytest.raises(ValueError, match="its UARTs: uart"):
        attach(dev, "rs485", lambda data: None)


def test_every_command_is_traced(toy):
    _, t, trace = toy
    t.cmd("AT+LEVEL=2")
    t.cmd("AT+LEVEL=9")
    cmds = [(r["cmd"], r["result"]) for r in trace.records if r["kind"] == "at.cmd"]
    assert cmds[-2:] == [("AT+LEVEL=2", "OK"), ("AT+LEVEL=9", "+CME ERROR: 3")]
    tx = [r for r in trace.records if r["kind"] == "frame.tx" and r["bus"] == "uart"]
    assert tx and tx[-1]["text"].endswith("+CME ERROR: 3\r\n")
