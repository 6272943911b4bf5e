"""Goals: a target amount (and date) reached through linked accounts' balances or explicit
contributions; progress, the saving it needs, a projection, milestones. Pure."""

from fiscus.domain.goals.model import (
    MILESTONES,
    Goal,
    GoalDraft,
    GoalKind,
    GoalProgress,
    GoalTracking,
    checked_goal,
    goal_progress,
)

__all__ = [
    "MILESTONES",
    "Goal",
    "GoalDraft",
    "GoalKind",
    "GoalProgress",
    "GoalTracking",
    "checked_goal",
    "goal_progress",
]
