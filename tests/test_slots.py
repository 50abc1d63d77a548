import threading

from playground.training.slots import TrainingSlots

WAIT = 60  # seconds a handshake may take before the test fails; far more than it ever needs


def test_first_come_first_served_with_queue_positions():
    slots = TrainingSlots(1)
    assert slots.acquire(lambda: False, lambda position: None)
    positions, queued, started = [], threading.Event(), threading.Event()

    def told(position):
        positions.append(position)
        queued.set()

    def second():
        if slots.acquire(lambda: False, told):
            started.set()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    assert queued.wait(WAIT), "the second caller was never told its place in the queue"
    assert positions == [1] and not started.is_set()  # it waits while the slot is taken
    slots.release()
    assert started.wait(WAIT), "the second caller did not get the slot once it was free"
    slots.release()
    thread.join(WAIT)
    assert not thread.is_alive()


def test_cancelled_while_waiting_leaves_the_queue():
    slots = TrainingSlots(1)
    slots.acquire(lambda: False, lambda p: None)
    cancel, queued = threading.Event(), threading.Event()
    result = {}
    thread = threading.Thread(target=lambda: result.update(ok=slots.acquire(cancel.is_set, lambda p: queued.set())),
                              daemon=True)
    thread.start()
    assert queued.wait(WAIT), "the second caller never joined the queue"
    cancel.set()
    thread.join(WAIT)
    assert not thread.is_alive(), "a cancelled wait did not end"
    assert result == {"ok": False} and slots.waiting == 0 and slots.running == 1


def test_default_is_one_training_per_two_cores(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_TRAININGS", "3")
    assert TrainingSlots().slots == 3


def test_training_steps_wait_while_someone_generates():
    from playground.training.slots import Activity

    activity = Activity()
    assert not activity.busy()
    with activity.generating():
        assert activity.busy()
        with activity.generating():
            assert activity.busy()
        assert activity.busy()
    assert not activity.busy()


def test_a_queue_for_the_clusters_computers_says_so_with_ordinals():
    from playground.training.monitor import TrainingMonitor, ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    monitor = TrainingMonitor()
    monitor.queued(3, cluster=True)
    assert monitor.snapshot().status == ("Waiting for a free computer in the cluster: 3rd in the queue. "
                                         "Training starts by itself; Stop leaves the queue.")
    monitor.preparing()  # a computer took it: TensorFlow starts there, then the model is built
    assert monitor.snapshot().state == "starting" and monitor.snapshot().status.startswith("Preparing the model")
    monitor.queued(2)
    assert monitor.snapshot().status.startswith("Waiting for a free training slot: you are number 2 in the queue.")
