"""Fixed-priority response-time analysis: textbook task sets, the mission's [rtos]/[tasks] and the
budget line that fails (exit 1, naming it) when interference pushes the inference past its deadline."""

import json

import pytest

from flightml.cli import main
from flightml.power.rta import Load, Rtos, analysis, response_time


def test_burns_wellings_three_task_example():
    """Burns & Wellings, Real-Time Systems and Programming Languages (4th ed.), section 11.5, Table 11.7:
    a (T=7, C=3), b (T=12, C=3), c (T=20, C=5), rate-monotonic: R_a = 3, R_b = 6, R_c = 20."""
    assert response_time(3, [], 7) == 3
    assert response_time(3, [(3, 7)], 12) == 6
    assert response_time(5, [(3, 7), (3, 12)], 20) == 20


def test_buttazzo_example_and_unschedulable_set():
    """Buttazzo, Hard Real-Time Computing Systems (3rd ed.), section 4.5: C = (1, 2, 3), T = D = (4, 6, 10)
    gives R_3 = 10 <= 10; one more unit of C_3 gives R > D (the iteration stops above the deadline)."""
    assert response_time(2, [(1, 4)], 6) == 3
    assert response_time(3, [(1, 4), (2, 6)], 10) == 10
    assert response_time(4, [(1, 4), (2, 6)], 10) > 10


def test_blocking_adds_and_lower_priority_tasks_do_not_interfere():
    rtos = Rtos(
        1000.0,
        5.0,
        2,
        40.0,
        20.0,
        (Load("hi", 10_000.0, 900.0, 3), Load("lo", 1_000.0, 500.0, 1), Load("isr", 500.0, 10.0, None)),
    )
    doc = analysis(rtos, 5000.0, 100_000.0)
    assert [x["name"] for x in doc["interference"]] == ["kernel tick", "hi", "isr"]
    # R = 5040 + 20 + ceil(R/1000) 5 + ceil(R/10000) 900 + ceil(R/500) 10: 5975, 6110, 6125, 6125
    assert doc["response_us"] == 6125.0 and doc["schedulable"]


def test_budget_reports_response_time_and_passes(make_run, write_mission, capsys):
    run = make_run()
    assert main(["budget", str(run), "--mission", str(write_mission())]) == 0
    out = capsys.readouterr().out
    assert "PASS  response_time:" in out and "response time" in out
    rta = json.loads((run / "budget.json").read_text())["rta"]
    # C = 352000 cycles / 80 MHz x 2.0 + 50 = 8850 us; tick 6 us/ms, attitude 900 us/10 ms,
    # housekeeping 3000 us/s, uart 12 us/0.5 ms; the logger (priority 1) does not interfere.
    assert rta["c_us"] == pytest.approx(8850.0)
    assert [x["name"] for x in rta["interference"]] == ["kernel tick", "attitude_control", "housekeeping", "uart_rx"]
    # Iterates 12788, 14060, 14108, 14108 us (blocking 20 us).
    assert rta["response_us"] == pytest.approx(8850 + 20 + 6 * 15 + 900 * 2 + 3000 + 12 * 29)


def test_budget_fails_when_interference_passes_the_deadline(make_run, write_mission, capsys):
    """WCET x margin alone (8.85 ms) fits the 12 ms deadline; the interference does not."""
    mission = write_mission("deadline_ms = 100.0", "deadline_ms = 12.0")
    run = make_run()
    assert main(["budget", str(run), "--mission", str(mission)]) == 1
    captured = capsys.readouterr()
    assert "PASS  wcet:" in captured.out and "FAIL  response_time:" in captured.out
    assert "budget failed: response_time:" in captured.err


def test_bad_task_table_is_one_line_exit_2(write_mission, make_run, capsys):
    mission = write_mission("wcet_us = 12.0\ninterrupt = true", "wcet_us = 12.0\ninterrupt = true\npriority = 9")
    assert main(["budget", str(make_run()), "--mission", str(mission)]) == 2
    assert "tasks.uart_rx: give either priority (a task) or interrupt = true" in capsys.readouterr().err
