"""The pygame viewer, offscreen: every room draws, devices are where the scene puts them, clicks and keys
reach the lab through its inbox, a failing viewer leaves the lab running, and watching changes nothing."""

import math
import os
import subprocess
import sys

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402
import pytest  # noqa: E402

import viewer  # noqa: E402
from sim import JsonlSink, RingSink, Simulation  # noqa: E402
from sim.rooms import room_file, scenario_dir  # noqa: E402
from sim.scenario import build, load  # noqa: E402
from viewer import Snapshot, Viewer, drive, style  # noqa: E402

ROOMS = sorted((scenario_dir() / "rooms").glob("*.yaml"))


def lab(room="sensor-lab", sinks=()):
    scenario, _ = load(room_file(room) if isinstance(room, str) else room)
    return build(scenario, sinks=list(sinks))


@pytest.fixture
def window():
    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode((1400, 900))
    yield screen
    pygame.display.quit()


@pytest.fixture
def sensor_lab():
    ring = RingSink(200_000)
    sim = lab(sinks=[ring])
    yield sim, ring
    sim.close()


def send(v, *events):
    """Post events to pygame's queue and let the viewer take them, as its loop does."""
    for event in events:
        pygame.event.post(event)
    for event in pygame.event.get():
        v.handle(event)
    v.render(0.0)


def click(v, pos):
    return (pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=tuple(pos), button=1),
            pygame.event.Event(pygame.MOUSEBUTTONUP, pos=tuple(pos), button=1))


def key(k, text=""):
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode=text, scancode=0)


def control(v, name):
    """Where the control called ``name`` is, scrolling the fault menu to it if need be."""
    for _ in range(40):
        rect = v.hotspots.rect(name)
        if rect is not None:
            return rect.center
        menu = v.hotspots.rect("faultmenu")
        send(v, pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-1, pos=menu.center))
    raise AssertionError(f"no control {name!r}")


def inbox(sim):
    """The messages waiting in the inbox (put back, so the lab still gets them)."""
    messages = sim.inbox.drain()
    for message in messages:
        sim.inbox.put(message)
    return [(m.target, m.action, m.args) for m in messages]


# -- drawing ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("room", ROOMS, ids=[p.stem for p in ROOMS])
def test_every_room_renders(room, tmp_path):
    sim = lab(room)
    try:
        shot = Snapshot(sim, 20.0, size=(1000, 700))
        sim.run(5.0)
        out = tmp_path / f"{room.stem}.png"
        shot.save(out)
        shot.close()
        image = pygame.image.load(str(out))
        assert image.get_size() == (1000, 700)
        colours = {tuple(image.get_at((x, y)))[:3] for x in range(0, 1000, 25) for y in range(0, 700, 25)}
        assert len(colours) > 20
    finally:
        sim.close()


def test_snapshot_has_each_device_icon_where_the_scene_puts_it(sensor_lab, tmp_path):
    sim, _ = sensor_lab
    shot = Snapshot(sim, 600.0)
    sim.run(60.0)
    out = tmp_path / "lab.png"
    shot.save(out)
    image = pygame.image.load(str(out))
    view = shot.viewer.view
    devices = sim.scene["devices"]
    assert len(devices) == 31
    for dev in devices:
        x, y = view.to_screen(dev["pos_m"])
        assert tuple(image.get_at((x, y)))[:3] == style.family_colour(dev["family"]), dev["id"]
    # the mapping is the room's own geometry: one scale for x and y, the room corner inside the plan
    gw, ss1 = (next(d for d in devices if d["id"] == i) for i in ("gw", "ss1"))
    (gx, gy), (sx, sy) = view.to_screen(gw["pos_m"]), view.to_screen(ss1["pos_m"])
    scale_x = (sx - gx) / (ss1["pos_m"][0] - gw["pos_m"][0])
    scale_y = (sy - gy) / (ss1["pos_m"][1] - gw["pos_m"][1])
    assert scale_x == pytest.approx(scale_y, rel=0.02) and scale_x > 50
    assert shot.viewer.plan_rect.contains(pygame.Rect(view.to_screen((0, 0)), (int(10 * scale_x), int(7 * scale_x))))
    # an empty stretch of floor has no device colour
    assert tuple(image.get_at(view.to_screen((6.0, 5.5))))[:3] not in [style.family_colour(f) for f in
                                                                        style.FAMILY_COLOURS]


def test_unknown_family_and_wire_form_are_drawn_generically():
    sim = Simulation()
    sim.scene = {"name": "future room", "room": {"size_m": [6, 4]},
                 "devices": [{"id": "bot1", "type": "robot_arm", "family": "robots", "pos_m": [2, 2],
                              "ports": {"can": "can_bus"}},
                             {"id": "plc1", "type": "plc", "family": "controllers", "pos_m": [4, 2],
                              "ports": {"can": "can_bus"}}],
                 "wiring": [{"a": "bot1.can", "b": "plc1.can", "form": "can_bus"}]}
    shot = Snapshot(sim, 10.0, size=(900, 600))
    sim.emit("plc1", "frame.tx", port="can", bus="can_bus", data="01 02")
    sim.emit("bot1", "frame.rx", port="can", bus="can_bus", data="01 02")
    sim.emit("bot1", "telemetry", joints=6)
    sim.trace.flush()
    image = shot.render()
    view = shot.viewer.view
    for dev_id, family in (("bot1", "robots"), ("plc1", "controllers")):
        pos = view.to_screen(next(d["pos_m"] for d in sim.scene["devices"] if d["id"] == dev_id))
        assert tuple(image.get_at(pos))[:3] == style.family_colour(family)
    assert style.family_colour("robots") != style.family_colour("controllers")
    assert style.form_colour("can_bus") == style.GENERIC_FORM
    assert shot.viewer.traffic.launched == 1                  # the frame ran along the unknown wire


# -- input through the inbox ------------------------------------------------------------------------------------
def test_clicks_keys_and_the_fault_menu_go_through_the_inbox(sensor_lab, window):
    sim, ring = sensor_lab
    v = Viewer(sim, 600.0, surface=window)
    sim.advance_to(10.0)
    v.ingest(0.0)
    v.render(0.0)

    send(v, *click(v, v.device_pixel("th1")))
    assert v.selected == "th1"
    send(v, key(pygame.K_f, "f"))
    assert v.fault_menu_open
    send(v, *click(v, control(v, "fault.inject:power_loss")))
    assert inbox(sim) == [("th1", "fault.inject", {"fault": "power_loss"})]
    sim.advance_to(sim.now)
    assert [r for r in ring.of_kind("fault.on") if r["src"] == "th1"][-1]["fault"] == "power_loss"
    v.ingest(0.0)
    v.render(0.0)
    assert v.state.active_faults("th1") and v.controls.replies[-1][1]
    send(v, *click(v, control(v, "fault.clear:power_loss")))
    assert inbox(sim) == [("th1", "fault.clear", {"fault": "power_loss"})]
    sim.advance_to(sim.now)
    assert ring.of_kind("fault.off")[-1]["src"] == "th1"

    # a fault with a parameter typed into the menu; a wire fault on the port the menu shows
    send(v, key(pygame.K_ESCAPE), key(pygame.K_ESCAPE))
    assert v.selected is None
    send(v, *click(v, v.device_pixel("t1")), key(pygame.K_f, "f"))
    send(v, *click(v, control(v, "fault.param:bias:offset")))
    send(v, pygame.event.Event(pygame.TEXTINPUT, text="2.5"), key(pygame.K_RETURN))
    send(v, *click(v, control(v, "fault.inject:bias")))
    send(v, *click(v, control(v, "fault.inject:wire_break")))
    assert inbox(sim) == [("t1", "fault.inject", {"fault": "bias", "offset": 2.5}),
                          ("t1.out", "fault.inject", {"fault": "wire_break"})]
    sim.advance_to(sim.now + 2.0)
    on = {r["fault"]: r for r in ring.of_kind("fault.on") if r["src"] == "t1"}
    assert on["bias"]["offset"] == 2.5 and on["wire_break"]["target"] == "t1.out"

    # an actuator switched from the inspector: the relay module's own command
    send(v, key(pygame.K_ESCAPE), *click(v, v.device_pixel("relay1")))
    send(v, *click(v, control(v, "switch:relay1.do2")))
    assert inbox(sim) == [("relay1", "command", {"name": "set", "args": {"output": "do2", "on": True}})]
    sim.advance_to(sim.now)
    assert any(r["src"] == "relay1" and r.get("output") == "do2" and r["on"] for r in ring.of_kind("output"))
    assert any(r["src"] == "lamp1" and r["on"] for r in ring.of_kind("output"))

    # any other command: its arguments typed as key=value
    send(v, key(pygame.K_ESCAPE), *click(v, v.device_pixel("gw")))
    send(v, *click(v, control(v, "command:set_poll_period")))
    send(v, pygame.event.Event(pygame.TEXTINPUT, text="period_s=5"), key(pygame.K_RETURN))
    assert inbox(sim) == [("gw", "command", {"name": "set_poll_period", "args": {"period_s": 5}})]
    sim.advance_to(sim.now)
    assert v.controls.replies[-1] == ("gw set_poll_period: ok", True)

    # time: pause, speed, step are the Simulation's
    send(v, key(pygame.K_SPACE))
    assert sim.paused
    send(v, key(pygame.K_3, "3"))
    assert sim.speed == 100.0
    send(v, *click(v, control(v, "time.speed:max")), key(pygame.K_s, "s"))
    assert math.isinf(sim.speed) and v.controls.steps == 1
    send(v, key(pygame.K_SPACE))
    assert not sim.paused


def test_a_refused_input_comes_back_and_changes_nothing(sensor_lab, window):
    sim, ring = sensor_lab
    v = Viewer(sim, 600.0, surface=window)
    sim.advance_to(5.0)
    v.ingest(0.0)
    v.render(0.0)
    send(v, *click(v, v.device_pixel("t1")), key(pygame.K_f, "f"))
    send(v, *click(v, control(v, "fault.inject:bias")))        # offset is required
    sim.advance_to(sim.now)
    v.render(0.0)
    text, ok = v.controls.replies[-1]
    assert not ok and "offset" in text
    assert not ring.of_kind("fault.on") and ring.of_kind("input.error")


def test_step_runs_to_the_next_traced_event(sensor_lab):
    sim, ring = sensor_lab
    v = Viewer(sim, 600.0)
    pacer = viewer.Pacer(sim, 600.0, v.controls, lambda: v.feed.count)
    sim.advance_to(1.5)
    v.ingest(0.0)
    v.controls.step()
    pacer.advance(0.01)
    taken = [r for batch in v.feed.take() for r in batch]
    assert sim.paused and taken and sim.now > 1.5
    assert {r["t"] for r in taken} == {round(sim.now, 6)}   # one event's records, no further
    at = sim.now
    pacer.advance(0.01)                                     # paused: the clock stays
    assert sim.now == at


# -- the lab is not the viewer's ------------------------------------------------------------------------------------
def test_a_viewer_exception_is_contained_and_the_lab_runs_on(cli, tmp_path, monkeypatch):
    headless, windowed = tmp_path / "headless.jsonl", tmp_path / "windowed.jsonl"
    base = ["run", "sensor-lab", "--until", "2m", "--speed", "max", "--mqtt", "off", "--quiet"]
    code, _, _ = cli(*base, "--headless", "--trace", str(headless))
    assert code == 0

    frames = []

    def broken_render(self, anim_now=None):
        frames.append(self.sim.now)
        if len(frames) == 1:
            raise RuntimeError("a drawing bug")
        return self.surface

    monkeypatch.setattr(viewer, "display_available", lambda *a, **k: True)
    monkeypatch.setattr(Viewer, "render", broken_render)
    code, _, err = cli(*base, "--trace", str(windowed))
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("viewer:")]
    assert len(lines) == 1 and "RuntimeError: a drawing bug" in lines[0] and "headless" in lines[0]
    assert 0 < frames[-1] < 120.0
    assert windowed.read_bytes() == headless.read_bytes()


def test_the_trace_is_the_same_with_and_without_the_viewer(tmp_path):
    def run(path, watch):
        with open(path, "wb") as out:
            sink = JsonlSink(out)
            sim = lab(sinks=[sink])
            sim.set_speed(math.inf)
            if watch:
                def close_at_end(v):
                    if sim.now >= 90.0:
                        v.closed = True
                assert drive(sim, 90.0, size=(1000, 700), on_frame=close_at_end) == viewer.FINISHED
            else:
                sim.run(90.0)
            sim.close()
            sim.emit("$sim", "run.end", until=sim.now)
            sim.trace.flush()
            sink.close()
        return path.read_bytes()

    watched, plain = run(tmp_path / "w.jsonl", True), run(tmp_path / "p.jsonl", False)
    assert len(plain) > 100_000 and watched == plain


def test_snapshot_command_takes_a_picture_and_keeps_the_trace(cli, tmp_path):
    png, with_shot, without = tmp_path / "lab.png", tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    code, _, err = cli("run", "sensor-lab", "--headless", "--snapshot", str(png), "--at", "20s", "--until", "30s",
                       "--mqtt", "off", "--trace", str(with_shot))
    assert code == 0 and "snapshot at t=20s" in err
    assert pygame.image.load(str(png)).get_size() == (1600, 1000)
    cli("run", "sensor-lab", "--headless", "--until", "30s", "--mqtt", "off", "--trace", str(without))
    assert with_shot.read_bytes() == without.read_bytes()
    code, out, _ = cli("run", "sensor-lab", "--snapshot", str(png), "--at", "15s", "--mqtt", "off", "--quiet")
    assert code == 0 and "15s simulated" in out                    # without --until the run stops at --at
    code, _, err = cli("run", "sensor-lab", "--snapshot", str(tmp_path / "x.gif"), "--mqtt", "off")
    assert code == 2 and ".png" in err
    code, _, err = cli("run", "sensor-lab", "--at", "5s", "--mqtt", "off")
    assert code == 2 and "--snapshot" in err


def test_headless_runs_never_load_pygame():
    code = ("import sys; from sim.cli import main; "
            "main(['run', 'sensor-lab', '--until', '5s', '--mqtt', 'off', '--quiet']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygame', 'viewer')))")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    loaded = eval(done.stdout.strip().splitlines()[-1])
    assert not [m for m in loaded if m.startswith("pygame")], loaded


def test_a_window_opens_only_where_there_is_a_display():
    assert not viewer.display_available({"SDL_VIDEODRIVER": "dummy", "DISPLAY": ":0"}, "linux")
    assert not viewer.display_available({}, "linux")
    assert viewer.display_available({"DISPLAY": ":0"}, "linux")
    assert viewer.display_available({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert viewer.display_available({}, "win32") and viewer.display_available({}, "darwin")


# -- language -------------------------------------------------------------------------------------------------------
def test_chinese_without_a_chinese_font_falls_back_to_english(monkeypatch, sensor_lab):
    from viewer import fonts
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    sim, _ = sensor_lab
    shot = Snapshot(sim, 600.0, lang="zh", size=(900, 600))
    sim.run(5.0)
    shot.render()
    assert shot.viewer.words.lang == "en" and "Chinese font" in shot.viewer.fonts.note
    assert shot.viewer.words("pause") == "Pause"


def test_chinese_labels_with_a_chinese_font(sensor_lab):
    from viewer import fonts
    path = fonts.find_cjk_font()
    if path is None:
        pytest.skip("no Chinese font on this machine (the fallback is tested above)")
    sim, _ = sensor_lab
    shot = Snapshot(sim, 600.0, lang="zh", size=(900, 600))
    sim.run(5.0)
    shot.render()
    assert shot.viewer.words.lang == "zh" and shot.viewer.words("pause") == "暂停"


def test_default_language_follows_the_locale():
    assert viewer.default_lang({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert viewer.default_lang({"LANG": "en_US.UTF-8"}) == "en"
    assert viewer.default_lang({}) == "en"


# -- traffic ----------------------------------------------------------------------------------------------------------
def test_frames_run_along_the_copper_and_radio_links_show_their_rssi(sensor_lab):
    sim, _ = sensor_lab
    scene = viewer.Scene(sim.scene)
    traffic = viewer.Traffic(scene)
    traffic.ingest([{"t": 0.0, "src": "gw", "kind": "frame.tx", "port": "rs485", "bus": "rs485"},
                    {"t": 0.01, "src": "co2", "kind": "frame.rx", "port": "rs485", "bus": "rs485"},
                    {"t": 0.02, "src": "gw", "kind": "frame.lost", "port": "dio2", "bus": "single_wire",
                     "reason": "no_response", "device": "dht2"}], now=0.0)
    (packet, start), = traffic.in_flight(0.0)
    assert packet.key[:2] == ("gw", "co2")
    assert start == pytest.approx(scene.devices["gw"].pos)
    assert packet.at(1.0) == pytest.approx(scene.devices["co2"].pos)
    # gw -> th1 -> lux2 -> relay1 -> co2: the dot follows the daisy chain, not a straight line
    hops = [scene.devices[d].pos for d in ("th1", "lux2", "relay1")]
    assert all(min(math.dist(h, p) for p in packet.path) < 1e-9 for h in hops)
    (mark, _), = traffic.lost_marks()
    assert mark.reason == "no_response" and mark.device == "dht2"
    traffic.ingest([{"t": 1.0, "src": "th1", "kind": "frame.rx", "bus": "lora", "from": "gw", "rssi_dbm": -92.5}], 0.1)
    link = traffic.links[("gw", "th1", "lora")]
    assert link.rssi_dbm == -92.5 and style.rssi_colour(link.rssi_dbm) == style.LOST


# -- the serial console -------------------------------------------------------------------------------------------------
MODULE_ROOM = """
name: console room
room: {size_m: [12, 6]}
devices:
  - {id: ap, type: wifi_ap, pos_m: [2, 2], ssid: Lab, key: "12345678", channel: 6}
  - {id: esp, type: esp8266, pos_m: [5, 3]}
  - {id: hm, type: hm10, pos_m: [7, 3]}
  - {id: dht, type: dht22, pos_m: [9, 3]}
"""


@pytest.fixture
def module_room(tmp_path):
    path = tmp_path / "console-room.yaml"
    path.write_text(MODULE_ROOM)
    ring = RingSink(200_000)
    sim = lab(path, sinks=[ring])
    yield sim, ring, path
    sim.close()


def frames(v, seconds, frame_s=0.02):
    """Run the lab ``seconds`` on in frame-sized slices, as the viewer's loop does, then draw."""
    sim = v.sim
    end = sim.now + seconds
    while sim.now < end - 1e-9:
        sim.advance_to(min(end, sim.now + frame_s))
    v.ingest(0.0)
    v.render(0.0)


def typed(text, *keys):
    return (*[pygame.event.Event(pygame.TEXTINPUT, text=ch) for ch in text], *keys)


def enter():
    return key(pygame.K_RETURN, "\r")


def test_a_serial_console_types_into_a_module_and_shows_what_it_sends(module_room, window):
    sim, ring, _ = module_room
    v = Viewer(sim, 600.0, surface=window)
    v.render(0.0)
    send(v, *click(v, v.device_pixel("esp")))
    send(v, *click(v, control(v, "inspector.console:uart")))
    con = v.consoles["esp.uart"]
    assert v.dock_tab == "console:esp.uart" and v.text_field is con.field        # in front, taking the keys
    assert inbox(sim)[0][:2] == ("esp", "uart.open")
    frames(v, 1.0)
    assert con.text().endswith("ready\n")                    # the boot, heard from the start

    send(v, *typed("AT"), enter())
    assert con.field.text == "" and v.text_field is con.field     # the line stays ready for the next
    frames(v, 0.5)
    assert con.text().endswith("AT\n\nOK\n")                 # the module's echo, then its reply
    rx = [r for r in ring.of_kind("frame.rx") if r["src"] == "esp"]
    assert rx[-1]["via"] == "viewer" and rx[-1]["data"] == "41 54 0D 0A"

    send(v, *typed("AT+CWMODE=3"), enter())
    frames(v, 0.5)
    send(v, *typed("AT+CWMODE?"), enter())
    frames(v, 0.5)
    assert "+CWMODE:3\n\nOK" in con.text()
    send(v, *typed("AT+CWMODE=1"), enter())
    frames(v, 0.5)
    done = [(r["cmd"], r["result"]) for r in ring.of_kind("at.cmd") if r["src"] == "esp"]
    assert done == [("AT", "OK"), ("AT+CWMODE=3", "OK"), ("AT+CWMODE?", "OK"), ("AT+CWMODE=1", "OK")]

    # keys go to the console while it has them: Space is a space, not Pause; Up recalls the last line
    send(v, key(pygame.K_SPACE, " "), pygame.event.Event(pygame.TEXTINPUT, text=" "))
    assert not sim.paused and con.field.text == " "
    send(v, key(pygame.K_BACKSPACE), key(pygame.K_UP))
    assert con.field.text == "AT+CWMODE=1"
    # Ctrl+Z and Esc go at once, with what is typed before them
    send(v, key(pygame.K_BACKSPACE), pygame.event.Event(pygame.KEYDOWN, key=pygame.K_z, mod=pygame.KMOD_LCTRL,
                                                         unicode="\x1a", scancode=0))
    send(v, key(pygame.K_ESCAPE))
    sent = [args["data"] for _, action, args in inbox(sim) if action == "uart.input"]
    assert sent == [b"AT+CWMODE=\x1a", b"\x1b"] and v.text_field is con.field
    frames(v, 0.5)
    # non-printable bytes show as \xNN, CR alone ends a line as CR LF does
    con.feed(b"A\x00\x1a\xffB\rC\r")
    con.feed(b"\nD")
    assert con.text().endswith("A\\x00\\x1a\xffB\nC\nD")

    # a click elsewhere gives the keys back to the viewer
    send(v, *click(v, v.plan_rect.move(5, 5).topleft))
    assert v.text_field is None
    send(v, key(pygame.K_SPACE))
    assert sim.paused
    send(v, key(pygame.K_SPACE))

    # closing the tab unplugs the adapter through the inbox
    adapter = con.adapter
    send(v, *click(v, control(v, "dock.close:console:esp.uart")))
    assert v.dock_tab == "events" and not v.consoles
    assert [(t, a) for t, a, _ in inbox(sim)] == [("esp", "uart.close")]
    frames(v, 0.1)
    assert adapter.closed


def test_several_consoles_and_line_endings_and_only_on_a_uart(module_room, window):
    sim, ring, _ = module_room
    v = Viewer(sim, 600.0, surface=window)
    v.render(0.0)
    # a part without a UART offers no console, by button or by key
    send(v, *click(v, v.device_pixel("dht")))
    assert not [n for n in v.hotspots.names() if n.startswith("inspector.console")]
    send(v, key(pygame.K_c, "c"))
    assert not v.consoles and v.dock_tab == "events" and "no UART" in v.controls.replies[-1][0]
    assert v.open_console("ap") is None and v.open_console("esp", "rs485") is None and not v.consoles
    send(v, *click(v, v.device_pixel("ap")))
    assert not [n for n in v.hotspots.names() if n.startswith("inspector.console")]

    # two consoles, one tab each; C opens the selected device's
    send(v, *click(v, v.device_pixel("esp")), key(pygame.K_c, "c"))
    send(v, *click(v, v.device_pixel("hm")), key(pygame.K_c, "c"))
    assert list(v.consoles) == ["esp.uart", "hm.uart"] and v.dock_tab == "console:hm.uart"
    assert {"dock.tab:events", "dock.tab:console:esp.uart", "dock.tab:console:hm.uart"} <= set(v.hotspots.names())
    frames(v, 1.0)
    # the HM-10 takes a command without a line ending: CR LF -> CR -> LF -> none
    for _ in range(3):
        send(v, *click(v, control(v, "console.eol:hm.uart")))
    hm = v.consoles["hm.uart"]
    assert hm.eol == "none"
    send(v, *click(v, control(v, "console.input:hm.uart")), *typed("AT"), enter())
    frames(v, 1.0)
    assert "OK" in hm.text()
    assert [(r["src"], r["cmd"]) for r in ring.of_kind("at.cmd")] == [("hm", "AT")]
    assert "OK" not in v.consoles["esp.uart"].text()              # each console hears its own UART
    send(v, *click(v, control(v, "dock.tab:console:esp.uart")))
    assert v.dock_tab == "console:esp.uart" and v.text_field is v.consoles["esp.uart"].field
    send(v, *click(v, control(v, "dock.tab:events")))
    assert v.dock_tab == "events"
    # Chinese labels have the console's words
    from viewer.i18n import Words
    assert Words("zh")("open_console") != Words("en")("open_console")


def test_a_console_that_only_listens_leaves_the_trace_as_it_was(tmp_path):
    """Consoles attached to the wireless room's modules (and a viewer that fails with them attached)
    change no byte of the trace."""
    until = 240.0                                  # past the microwave oven's first run at 3 min

    def run(name, how):
        path = tmp_path / f"{name}.jsonl"
        with open(path, "wb") as out:
            sink = JsonlSink(out)
            sim = lab("wireless-lab", sinks=[sink])
            sim.set_speed(math.inf)
            if how == "headless":
                sim.run(until)
            else:
                def on_frame(v):
                    if not v.consoles:
                        for device in ("esp1", "hm10a", "nb1", "la"):
                            assert v.open_console(device) is not None
                    if how == "fails" and sim.now > 100.0:
                        raise RuntimeError("a viewer bug")
                    if sim.now >= until:
                        assert "ready" in v.consoles["esp1.uart"].text()
                        v.closed = True
                status = drive(sim, until, size=(1000, 700), on_frame=on_frame, log=lambda line: None)
                assert status == (viewer.FAILED if how == "fails" else viewer.FINISHED)
                sim.run(until)                     # after a failure the lab goes on headless, as the CLI does
            sim.close()
            sim.emit("$sim", "run.end", until=sim.now)
            sim.trace.flush()
            sink.close()
        return path.read_bytes()

    plain = run("plain", "headless")
    assert plain.count(b'"bus":"uart"') > 3 and plain.count(b"frame.lost") > 0
    assert run("watched", "console") == plain
    assert run("failed", "fails") == plain


# -- a board's LEDs and LCD ------------------------------------------------------------------------------------
def test_a_boards_leds_and_its_lcd_show_what_the_trace_says():
    from viewer import icons
    from viewer.plan import LCD_LIT, led_colour, led_spots

    ring = RingSink(200_000)
    sim = lab("embedded-lab", sinks=[ring])
    try:
        shot = Snapshot(sim, 30.0)
        sim.run(12.25)                        # blink's LED1 toggles every 500 ms from on at 0 s
        image = shot.render()
        v = shot.viewer
        outputs = [r for r in ring.of_kind("output") if r.get("output") == "LED1" and r["src"] == "blink"]
        assert outputs[-1]["on"] is True and v.state.leds["blink"]["LED1"] == 1.0
        devices = {d["id"]: d for d in sim.scene["devices"]}
        checked = 0
        for dev_id, leds in v.state.leds.items():
            dev = devices[dev_id]
            x, y = v.view.to_screen(dev["pos_m"])
            r = icons.radius_for(v.view.scale, dev["family"])
            for name, centre in zip(sorted(leds), led_spots(x, y, r, len(leds))):
                assert tuple(image.get_at(centre))[:3] == led_colour(leds[name]), (dev_id, name)
                checked += 1
        assert checked >= 4                   # LED1, LED2, LED3 (PWM), the relay
        assert tuple(image.get_at(led_spots(*v.view.to_screen(devices["blink"]["pos_m"]),
                                            icons.radius_for(v.view.scale, "mcu"), 1)[0]))[:3] == led_colour(1.0)
        # the LCD panel holds the last `lcd` record's two lines, 16 characters each
        last = [r for r in ring.of_kind("lcd") if r["src"] == "lcd1"][-1]
        assert last["line1"].strip()
        assert v.state.lcd_lines("lcd1") == (last["line1"].ljust(16)[:16], last["line2"].ljust(16)[:16])
        rect = v.plan_renderer.lcd_rect(*v.plan_renderer.positions(v.view, "room")["lcd1"])
        assert tuple(image.get_at((rect.x + 1, rect.y + 1)))[:3] == LCD_LIT
        # the OLED's picture, half size above its icon: lit pixels where the panel's are
        from viewer.oled import OLED_OFF, OLED_ON
        oled = [r for r in ring.of_kind("oled") if r["src"] == "oled1"][-1]
        assert oled["on"] and oled["text"].startswith("SHT31")
        rect = v.plan_renderer.oled_rect(*v.plan_renderer.positions(v.view, "room")["oled1"])
        rows = [int(oled["pixels"][y * 32:(y + 1) * 32], 16) for y in range(64)]
        lit = [(x, y) for y in range(0, 64, 2) for x in range(0, 128, 2) if rows[y] >> (127 - x) & 1]
        dark = [(x, y) for y in range(0, 64, 2) for x in range(0, 128, 2) if not rows[y] >> (127 - x) & 1]
        colours = [tuple(image.get_at((rect.x + 2 + x // 2, rect.y + 2 + y // 2)))[:3] for x, y in lit[:50]]
        assert lit and colours.count(OLED_ON) >= len(colours) * 0.8
        colours = [tuple(image.get_at((rect.x + 2 + x // 2, rect.y + 2 + y // 2)))[:3] for x, y in dark[:200]]
        assert colours.count(OLED_OFF) >= len(colours) * 0.8
        # the inspector of a board lists its pins, of the display its text
        for selected in ("blink", "breathe", "lcd1", "oled1"):
            v.selected = selected
            shot.render()
    finally:
        sim.close()
