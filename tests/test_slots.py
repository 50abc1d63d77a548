import threading
import time

from playground.slots import TrainingSlots


def test_first_come_first_served_with_queue_positions():
    slots = TrainingSlots(1)
    assert slots.acquire(lambda: False, lambda position: None)
    positions, started = [], threading.Event()

    def second():
        if slots.acquire(lambda: False, positions.append):
            started.set()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    assert positions == [1] and not started.is_set()
    slots.release()
    assert started.wait(5)
    slots.release()
    thread.join()


def test_cancelled_while_waiting_leaves_the_queue():
    slots = TrainingSlots(1)
    slots.acquire(lambda: False, lambda p: None)
    cancel = threading.Event()
    result = {}
    thread = threading.Thread(target=lambda: result.update(ok=slots.acquire(cancel.is_set, lambda p: None)))
    thread.start()
    time.sleep(0.3)
    cancel.set()
    thread.join(5)
    assert result == {"ok": False} and slots.waiting == 0 and slots.running == 1


def test_default_is_one_training_per_two_cores(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_TRAININGS", "3")
    assert TrainingSlots().slots == 3


def test_training_steps_wait_while_someone_generates():
    from playground.slots import Activity

    activity = Activity()
    assert not activity.busy()
    with activity.generating():
        assert activity.busy()
        with activity.generating():
            assert activity.busy()
        assert activity.busy()
    assert not activity.busy()
