"""Volume counters: roll-over, meter replacement and irregular steps, against hand-computed
volumes."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.domains.water.counters import (
    BACKSTEP,
    NORMAL,
    RESET,
    ROLLOVER,
    counter_steps,
    cumulative_volume,
    sorted_unique,
    step_flows,
    volume_deltas,
)

H = 3_600_000  # one hour in ms


def test_plain_index_differences():
    t = np.array([0, H, 2 * H, 3 * H])
    assert volume_deltas(t, np.array([100.0, 102.5, 102.5, 110.0])).tolist() == [2.5, 0.0, 7.5]
    assert cumulative_volume(t, np.array([100.0, 102.5, 102.5, 110.0])).tolist() == \
        [0.0, 2.5, 2.5, 10.0]


def test_rollover_of_a_declared_range():
    # 99 998 -> 3 on a 5-digit totaliser: 2 m³ to the top, then 3 m³: 5 m³.
    t = np.array([0, H, 2 * H, 3 * H])
    index = np.array([99_990.0, 99_998.0, 3.0, 9.0])
    steps = counter_steps(t, index, rollover=100_000)
    assert steps.volume_m3.tolist() == [8.0, 5.0, 6.0]
    assert steps.kind.tolist() == [NORMAL, ROLLOVER, NORMAL]


def test_rollover_inferred_from_a_power_of_ten():
    t = np.array([0, H, 2 * H])
    # 999 996 -> 1.5 on a 6-digit counter: 4 + 1.5 m³.
    assert volume_deltas(t, np.array([999_990.0, 999_996.0, 1.5])).tolist() == \
        pytest.approx([6.0, 5.5])
    # A 6-digit meter with a 10^5 setting is wrong: 9 999 -> 2 wraps at 10^4.
    assert volume_deltas(t, np.array([9_990.0, 9_999.0, 2.0])).tolist() == [9.0, 3.0]


def test_meter_replaced_is_a_reset_estimated_from_neighbouring_flow():
    # 10 m³/h before and after; the new meter starts from 0 during the third hour.
    t = np.array([0, H, 2 * H, 3 * H, 4 * H, 5 * H])
    index = np.array([5_000.0, 5_010.0, 5_020.0, 4.0, 14.0, 24.0])
    steps = counter_steps(t, index)
    assert steps.kind.tolist() == [NORMAL, NORMAL, RESET, NORMAL, NORMAL]
    assert steps.volume_m3.tolist() == pytest.approx([10, 10, 10, 10, 10])


def test_a_drop_far_from_the_top_is_a_reset_even_with_a_rollover():
    t = np.array([0, H, 3 * H])  # irregular: the reset step lasts two hours
    steps = counter_steps(t, np.array([40_000.0, 40_006.0, 2.0]), rollover=100_000)
    assert steps.kind.tolist() == [NORMAL, RESET]
    assert steps.volume_m3.tolist() == pytest.approx([6.0, 12.0])  # 6 m³/h × 2 h


def test_reset_without_neighbours_takes_the_new_index():
    steps = counter_steps(np.array([0, H]), np.array([730.0, 3.0]))
    assert steps.kind.tolist() == [RESET] and steps.volume_m3.tolist() == [3.0]


def test_small_backward_moves_are_kept_so_volumes_add_up():
    t = np.array([0, H, 2 * H, 3 * H])
    index = np.array([50.0, 52.0, 51.6, 53.0])
    steps = counter_steps(t, index)
    assert steps.kind.tolist() == [NORMAL, BACKSTEP, NORMAL]
    assert steps.volume_m3.sum() == pytest.approx(3.0)


def test_flows_over_irregular_steps():
    t = np.array([0, H // 4, H, 3 * H])  # 15 min, 45 min, 2 h
    flows = step_flows(t, np.array([0.0, 1.0, 4.0, 10.0]))
    assert flows.tolist() == pytest.approx([4.0, 4.0, 3.0])


def test_sorted_unique_orders_and_drops_bad_readings():
    t, v = sorted_unique(np.array([3.0, 1.0, 2.0, 2.0, 4.0]),
                         np.array([30.0, 10.0, 20.0, 21.0, np.nan]))
    assert t.tolist() == [1.0, 2.0, 3.0] and v.tolist() == [10.0, 21.0, 30.0]
