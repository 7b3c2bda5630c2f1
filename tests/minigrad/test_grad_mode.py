"""Grad mode: per thread (as PyTorch), and every switch usable as a context manager and as a
decorator, with or without parentheses, on functions and on generator functions."""
import threading

import pytest

import minigrad as mg


def _in_new_thread(fn):
    """Run fn() in a fresh thread; return what it returned (or raise what it raised)."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as error:          # handed back to the test below
            box["error"] = error
    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_a_new_thread_records_even_inside_anothers_no_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        assert _in_new_thread(mg.is_grad_enabled) is True
        assert _in_new_thread(lambda: (x * x).requires_grad) is True
        assert not (x * x).requires_grad


def test_no_grad_in_another_thread_leaves_this_thread_recording():
    inside, release = threading.Event(), threading.Event()

    def evaluate():
        with mg.no_grad():
            inside.set()
            release.wait(timeout=30)
        return mg.is_grad_enabled()

    thread_result = {}
    thread = threading.Thread(target=lambda: thread_result.setdefault("after", evaluate()))
    thread.start()
    assert inside.wait(timeout=30)
    assert mg.is_grad_enabled()                        # the other thread's block is not ours
    release.set()
    thread.join(timeout=30)
    assert thread_result["after"] is True
    assert mg.is_grad_enabled()


def test_overlapping_no_grad_blocks_in_two_threads_restore_recording():
    # Thread A enters, B enters, A exits, B exits: with one shared flag, B restores A's
    # "off" and recording stays off for good.
    steps = [threading.Event() for _ in range(3)]

    def thread_a():
        with mg.no_grad():
            steps[0].set()
            steps[1].wait(timeout=30)
        steps[2].set()

    def thread_b():
        steps[0].wait(timeout=30)
        with mg.no_grad():
            steps[1].set()
            steps[2].wait(timeout=30)

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert mg.is_grad_enabled()
    assert _in_new_thread(mg.is_grad_enabled)


@pytest.mark.parametrize("switch, mode", [(mg.no_grad, False), (mg.no_grad(), False),
                                          (mg.enable_grad, True), (mg.enable_grad(), True)],
                         ids=["no_grad", "no_grad()", "enable_grad", "enable_grad()"])
def test_decorator_with_or_without_parentheses(switch, mode):
    @switch
    def double(t):
        """Doubles."""
        return t * 2

    x = mg.tensor([1.0], requires_grad=True)
    with mg.set_grad_enabled(not mode):
        assert double(x).requires_grad is mode
        assert mg.is_grad_enabled() is (not mode)
    assert double.__name__ == "double" and double.__doc__ == "Doubles."


def test_decorated_function_restores_the_mode_when_it_raises():
    @mg.no_grad
    def fails():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fails()
    assert mg.is_grad_enabled()


def test_no_grad_on_a_generator_function_applies_inside_its_body_only():
    x = mg.tensor([1.0, 2.0], requires_grad=True)

    @mg.no_grad()
    def outputs():
        for _ in range(3):
            received = yield (x * 2).requires_grad
            assert received is None or received == "sent"

    seen = []
    for recorded_inside in outputs():
        seen.append(recorded_inside)
        assert mg.is_grad_enabled()            # the consumer keeps its own mode
        assert (x * 2).requires_grad
    assert seen == [False, False, False]

    generator = outputs()
    assert next(generator) is False
    assert generator.send("sent") is False
    generator.close()
    assert mg.is_grad_enabled()


def test_generator_return_value_and_thrown_errors_pass_through():
    @mg.no_grad
    def counter():
        try:
            yield mg.is_grad_enabled()
        except ValueError:
            yield ("caught", mg.is_grad_enabled())
        return "done"

    generator = counter()
    assert next(generator) is False
    assert generator.throw(ValueError("x")) == ("caught", False)
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value == "done"
    assert mg.is_grad_enabled()


def test_set_grad_enabled_as_call_context_manager_and_decorator():
    try:
        mg.set_grad_enabled(False)                  # a plain call switches at once
        assert not mg.is_grad_enabled()
    finally:
        mg.set_grad_enabled(True)
    with mg.set_grad_enabled(False):
        assert not mg.is_grad_enabled()
        with mg.set_grad_enabled(True):
            assert mg.is_grad_enabled()
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()

    @mg.set_grad_enabled(False)
    def off():
        return mg.is_grad_enabled()

    assert mg.is_grad_enabled()                     # decorating did not switch anything
    assert off() is False and off() is False
    assert mg.is_grad_enabled()


def test_set_grad_enabled_refuses_a_non_bool():
    with pytest.raises(TypeError, match=r"set_grad_enabled: mode must be True or False, got "
                                        r"str 'no'"):
        mg.set_grad_enabled("no")
    assert mg.is_grad_enabled()


def test_torch_agrees_on_thread_locality():
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        torch_in_thread = _in_new_thread(torch.is_grad_enabled)
    with mg.no_grad():
        mg_in_thread = _in_new_thread(mg.is_grad_enabled)
    assert mg_in_thread == torch_in_thread
