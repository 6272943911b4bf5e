"""Budget rollovers and projections, goal progress and projections, worked by hand."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal as D

from fiscus.domain.budgets import Budget, BudgetAlertKind, Rollover, alerts_due, budget_status
from fiscus.domain.goals import Goal, GoalKind, GoalTracking, goal_progress

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
SPENT = {JAN: D("250.00"), FEB: D("400.00"), MAR: D("120.00")}  # March: through the 10th
TODAY = date(2026, 3, 10)


def budget(rollover: Rollover) -> Budget:
    return Budget(
        uuid.uuid4(),
        uuid.uuid4(),
        "Groceries",
        uuid.uuid4(),
        True,
        D("300.00"),
        "USD",
        rollover,
        D(80),
        JAN,
    )


def test_no_rollover_and_the_pace_of_the_current_month():
    status = budget_status(budget(Rollover.NONE), MAR, SPENT, TODAY)
    # 120 in 10 days of 31: 120 / 10 x 31 = 372.00 > 300; 180 left over 22 days = 8.1818.
    assert (status.available, status.remaining, status.percent_used) == (
        D("300.00"),
        D("180.00"),
        D("40.00"),
    )
    assert (status.projected_spend, status.projected_overspend) == (D("372.00"), True)
    assert (status.days_left, status.remaining_per_day) == (22, D("8.18"))
    assert not status.threshold_crossed  # 40 % < 80 %
    assert alerts_due(status) == [BudgetAlertKind.PROJECTED_OVERSPEND]
    assert (status.ytd_budgeted, status.ytd_spent) == (D("900.00"), D("770.00"))


def test_carrying_unspent_forgives_an_overspend():
    b = budget(Rollover.CARRY_UNSPENT)
    feb = budget_status(b, FEB, SPENT, TODAY)
    # January left 50: February has 350 and spends 400 (114.2857 %).
    assert (feb.carried_in, feb.available, feb.remaining) == (D("50.00"), D("350.00"), D("-50.00"))
    assert feb.percent_used == D("114.29") and feb.threshold_crossed
    assert feb.projected_spend == D("400.00") and feb.remaining_per_day is None
    assert alerts_due(feb) == [BudgetAlertKind.THRESHOLD]  # no projection for a past month
    assert budget_status(b, MAR, SPENT, TODAY).carried_in == D("0")


def test_carrying_overspend_takes_it_from_the_next_month():
    status = budget_status(budget(Rollover.CARRY_OVERSPEND), MAR, SPENT, TODAY)
    # January's 50 lapses; February overspent by 100: March has 200 and used 60 %.
    assert (status.carried_in, status.available, status.percent_used) == (
        D("-100.00"),
        D("200.00"),
        D("60.00"),
    )
    assert status.projected_overspend and not status.threshold_crossed


def test_months_before_the_start_have_no_budget():
    status = budget_status(budget(Rollover.NONE), date(2025, 12, 1), {}, TODAY)
    assert (status.available, status.threshold_crossed, status.projected_overspend) == (
        D(0),
        False,
        False,
    )


def goal(**kwargs) -> Goal:
    values = dict(
        id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        name="Rainy day",
        kind=GoalKind.EMERGENCY_FUND,
        target_amount=D("10000.00"),
        currency="USD",
        target_date=date(2026, 12, 31),
        priority=1,
        tracking=GoalTracking.ACCOUNTS,
    )
    values.update(kwargs)
    return Goal(**values)


def test_goal_progress_required_saving_and_projection():
    progress = goal_progress(goal(), D("4000.00"), D("2500.00"), date(2026, 3, 15))
    # 6000 left over 9 months (March -> December): 666.67 a month (rounded up);
    # 1500 saved in 3 months = 500 a month: 12 months -> 2027-03-15, after the target date.
    assert (progress.percent, progress.remaining) == (D("40.00"), D("6000.00"))
    assert progress.required_monthly == D("666.67")
    assert progress.monthly_rate == D("500.00")
    assert progress.projected_completion == date(2027, 3, 15)
    assert progress.on_track is False and progress.milestones == (25,)


def test_a_goal_reached_and_a_goal_not_moving():
    reached = goal_progress(goal(target_date=None), D("10500.00"), D("9000.00"), date(2026, 3, 15))
    assert reached.percent == D("105.00") and reached.milestones == (25, 50, 75, 100)
    assert reached.projected_completion == date(2026, 3, 15) and reached.required_monthly is None
    idle = goal_progress(goal(), D("1000.00"), D("1200.00"), date(2026, 3, 15))
    assert idle.monthly_rate < 0 and idle.projected_completion is None and idle.on_track is None
