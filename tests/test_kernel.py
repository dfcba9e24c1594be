"""The clock, pacing, pause/step, the inbox, random streams and the trace bus."""

import threading
import time

import pytest

from sim.rng import normals, stream, stream_seed


def test_every_calls_at_exact_multiples_without_drift(sim):
    times = []
    sim.every(0.1, lambda: times.append(sim.now))
    sim.run(1.0)
    assert len(times) == 10
    assert times[-1] == pytest.approx(0.9, abs=1e-12)
    assert times[7] == 0 + 7 * 0.1          # start + k * period, not a running sum


def test_callbacks_sharing_a_period_share_one_kernel_process(sim):
    calls = []
    for i in range(100):
        sim.every(1.0, lambda i=i: calls.append(i))
    sim.run(3.0)
    assert len(sim._tick_groups) == 1
    assert calls[:100] == list(range(100))   # registration order, every tick
    assert len(calls) == 300


def test_every_rejects_a_non_positive_period(sim):
    with pytest.raises(ValueError, match="period must be > 0"):
        sim.every(0, lambda: None)


def test_run_stops_at_until_and_can_continue(sim):
    sim.run(5.0)
    assert sim.now == 5.0
    sim.run(7.5)
    assert sim.now == 7.5


def test_speed_one_follows_the_wall_clock(sim):
    start = time.monotonic()
    sim.run(0.3, speed=1.0)
    assert 0.28 <= time.monotonic() - start < 1.0


def test_speed_n_runs_n_times_faster_than_the_wall_clock(sim):
    start = time.monotonic()
    sim.run(3.0, speed=10.0)
    assert 0.28 <= time.monotonic() - start < 1.0


def test_speed_must_be_positive(sim):
    with pytest.raises(ValueError, match="speed must be > 0"):
        sim.run(1.0, speed=0)


def test_pause_holds_the_clock_and_step_processes_one_event(sim):
    seen = []
    sim.every(1.0, lambda: seen.append(sim.now))
    sim.pause()
    worker = threading.Thread(target=sim.run, args=(100.0,), kwargs={"speed": 1000.0})
    worker.start()
    time.sleep(0.15)
    assert sim.now == 0 and seen == []
    sim.stop()
    worker.join(2)
    assert not worker.is_alive()
    assert sim.step() == 0          # the first tick, at t = 0
    assert seen == [0]
    sim.step()
    assert seen == [0, 1.0]


def test_inbox_messages_from_another_thread_are_applied_at_simulated_time(sim):
    applied = []
    sim.handlers["note"] = lambda msg: applied.append((sim.now, msg.args["x"])) or {"ok": True}
    replies = []
    sim.every(1.0, lambda: None)

    def outside():
        time.sleep(0.1)
        sim.post("$sim", "note", {"x": 42}, reply=replies.append)

    threading.Thread(target=outside).start()
    sim.run(0.5, speed=1.0)
    assert applied and applied[0][1] == 42
    assert 0.05 < applied[0][0] < 0.5          # at the simulated time it arrived, not at the end
    assert replies == [{"ok": True}]


def test_a_bad_input_is_answered_with_an_error_and_the_lab_keeps_running(sim, trace):
    def boom(msg):
        raise RuntimeError("exploded")
    sim.handlers["boom"] = boom
    replies = []
    sim.post("x", "boom", reply=replies.append)
    sim.post("x", "nope", reply=replies.append)
    sim.run(1.0)
    assert replies[0] == {"ok": False, "error": "RuntimeError: exploded"}
    assert "unknown action 'nope'" in replies[1]["error"]
    assert sim.now == 1.0
    assert trace.of_kind("input.error")[0]["error"] == "RuntimeError: exploded"


def test_streams_depend_only_on_seed_and_name():
    a = stream(7, "th1").standard_normal(5)
    assert (a == stream(7, "th1").standard_normal(5)).all()
    assert not (a == stream(8, "th1").standard_normal(5)).all()
    assert not (a == stream(7, "th2").standard_normal(5)).all()
    assert stream_seed(7, "th1") == 82468528715363768522194962947478853534  # sha256("iotlab:7:th1")[:16], little-endian


def test_normals_give_the_same_sequence_as_the_generator():
    it = normals(stream(1, "x"), block=4)
    drawn = [next(it) for _ in range(10)]
    direct = stream(1, "x").standard_normal(12).tolist()
    assert drawn == direct[:10]


def test_trace_records_reach_sinks_in_order_with_a_kind_filter(sim):
    everything, alarms = [], []
    sim.trace.subscribe(everything.append)
    sim.trace.subscribe(alarms.append, kinds=["alarm"])
    sim.every(1.0, lambda: sim.emit("d1", "sample", value=sim.now))
    sim.every(2.0, lambda: sim.emit("d1", "alarm", state="raised"))
    sim.run(4.0)
    assert [r["kind"] for r in everything[:3]] == ["sample", "alarm", "sample"]
    assert [r["t"] for r in alarms] == [0.0, 2.0]
    assert list(everything[0]) == ["t", "src", "kind", "value"]
    sim.trace.unsubscribe(everything.append)
    count = len(everything)
    sim.run(6.0)
    assert len(everything) == count and len(alarms) == 3
