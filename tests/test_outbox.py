"""The SQLite outbox: order, acknowledgement, the size bound and the drop report."""

from sim.mqtt.outbox import Outbox


def msgs(device, first, last):
    return [(f"t/{device}", b"x", False, device, n) for n in range(first, last + 1)]


def test_waiting_messages_come_out_in_order_and_leave_when_acknowledged():
    box = Outbox(max_messages=100)
    box.put(msgs("a", 1, 5))
    rows = box.after(0, 3)
    assert [r[1] for r in rows] == ["t/a"] * 3 and len(box) == 5
    box.done([r[0] for r in rows])
    assert len(box) == 2 and [r[0] for r in box.after(rows[-1][0], 10)] == [4, 5]
    box.close()


def test_ids_keep_growing_after_the_outbox_empties():
    box = Outbox(max_messages=100)
    box.put(msgs("a", 1, 3))
    ids = [r[0] for r in box.after(0, 10)]
    box.done(ids)
    assert len(box) == 0
    box.put(msgs("a", 4, 4))
    assert [r[0] for r in box.after(ids[-1], 10)] == [ids[-1] + 1]   # never reused, or the bridge would miss it
    box.close()


def test_a_full_outbox_drops_the_oldest_not_yet_handed_over():
    box = Outbox(max_messages=10)
    box.put(msgs("a", 1, 8))
    handed = box.after(0, 3)[-1][0]          # 1..3 are with the client, in flight
    dropped = box.put(msgs("b", 1, 6), floor=handed)
    assert dropped == 4 and len(box) == 10
    assert box.dropped == {"a": [4, 5, 6, 7]}
    assert [r[0] for r in box.after(0, 20)][:3] == [1, 2, 3]
    box.close()


def test_a_backlog_spills_to_disk_and_comes_back_in_order():
    box = Outbox(max_messages=1000)                  # memory holds 500
    box.put(msgs("a", 1, 300))
    assert box.on_disk == 0
    handed = box.after(0, 20)[-1][0]                 # 20 with the client
    box.put(msgs("a", 301, 700), floor=handed)       # the broker fell behind: spill
    assert box.on_disk == 680 and len(box) == 700
    ids = [r[0] for r in box.after(handed, 1000)]
    assert ids == list(range(21, 701))               # one sequence across both tiers
    box.done(list(range(1, 701)))
    assert len(box) == 0 and box.on_disk == 0
    box.put(msgs("a", 701, 701))
    assert box.on_disk == 0 and [r[0] for r in box.after(700, 5)] == [701]   # back in memory
    box.close()
