"""Every write of the campaigns app, by sub-domain: lists (campaigns, uploads, matching, review, apply),
screening (三重过滤 and the township tasks) and founding (建会 as a workflow)."""

from .founding import founding_approve, founding_congress, founding_establish, founding_start, welcome_kit_set
from .lists import (
    COLUMNS,
    INLINE_APPLY_ROWS,
    campaign_create,
    list_apply,
    list_classify,
    list_upload,
    row_decide,
    row_decision_undo,
    rows_accept_above,
)
from .screening import firm_screen, firm_screen_undo, firm_task_update, firms_screen_bulk

__all__ = [
    "COLUMNS",
    "INLINE_APPLY_ROWS",
    "campaign_create",
    "firm_screen",
    "firm_screen_undo",
    "firm_task_update",
    "firms_screen_bulk",
    "founding_approve",
    "founding_congress",
    "founding_establish",
    "founding_start",
    "list_apply",
    "list_classify",
    "list_upload",
    "row_decide",
    "row_decision_undo",
    "rows_accept_above",
    "welcome_kit_set",
]
