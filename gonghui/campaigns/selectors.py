"""Every read of the campaigns app, starting from `visible_to(user, action)`: campaigns and lists by their
owner node (seen from above and from inside), rows, firms and steps by the firm's territory."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gonghui.accounts.permissions import Action
from gonghui.orgs.models import Union

from .models import Campaign, CampaignFirm, ListRow, Match, ScreeningStep, SourceList, Stage, TaskStatus


def campaign_list(*, user: Any) -> QuerySet[Campaign]:
    """The campaigns the user sees (owner in or above their scope), newest first."""
    return Campaign.objects.visible_to(user).select_related("owner").order_by("-starts_on", "-pk")


def list_lists(*, user: Any, campaign: Campaign) -> QuerySet[SourceList]:
    return SourceList.objects.visible_to(user).filter(campaign=campaign).order_by("-as_of", "-pk")


def row_list(*, user: Any, source_list: SourceList, match: str = "", township: int | None = None
             ) -> QuerySet[ListRow]:
    """The list's rows in the user's territory (rows without a township: the district's alone)."""
    qs = ListRow.objects.visible_to(user).filter(source_list=source_list)
    if match:
        qs = qs.filter(match=match)
    if township:
        qs = qs.filter(township_id=township)
    return qs.select_related("enterprise", "candidate", "covering_union", "township").order_by("row")


def decided_rows(*, user: Any, source_list: SourceList) -> QuerySet[ListRow]:
    """The list's rows in the user's territory that a cadre settled from 待核对 (their decision can be undone)."""
    return (ListRow.objects.visible_to(user).filter(source_list=source_list, decided_by__isnull=False,
                                                    candidate__isnull=False)
            .select_related("enterprise", "candidate", "decided_by").order_by("row"))


def row_counts(*, user: Any, source_list: SourceList) -> dict[str, int]:
    counts = dict.fromkeys(Match.values, 0)
    for m, n in (ListRow.objects.visible_to(user).filter(source_list=source_list).values_list("match")
                 .annotate(n=Count("pk"))):
        counts[m] = n
    return counts


def firm_list(*, user: Any, campaign: Campaign, match: str = "", stage: str = "", township: int | None = None,
              task_status: str | None = None, q: str = "", action: str = Action.VIEW) -> QuerySet[CampaignFirm]:
    """The campaign's firms in the user's territory, tasks first ordered ≥ threshold and ≥ 1 year in operation
    first (属地管理)."""
    qs = CampaignFirm.objects.visible_to(user, action).filter(campaign=campaign)
    if match:
        qs = qs.filter(match=match)
    if stage:
        qs = qs.filter(stage=stage)
    if township:
        qs = qs.filter(township_id=township)
    if task_status is not None:
        qs = qs.filter(task_status=task_status)
    if q:
        qs = qs.filter(Q(enterprise__name__contains=q) | Q(enterprise__uscc=q.upper()))
    return qs.select_related("enterprise", "township", "joint_union").order_by("township__path", "-enterprise__headcount",
                                                                               "pk")


def task_list(*, user: Any, campaign: Campaign, township: int | None = None, status: str | None = None
              ) -> list[CampaignFirm]:
    """Tasks (firms screened to 单独建会 or 加入联合工会), ≥ threshold employees and ≥ 1 year in operation first."""
    qs = firm_list(user=user, campaign=campaign, township=township, task_status=status).filter(
        stage__in=[Stage.SINGLE, Stage.JOINT])
    year_ago = timezone.localdate() - dt.timedelta(days=365)

    def key(f: CampaignFirm) -> tuple[int, int, str, int]:
        big = (f.enterprise.headcount or 0) >= campaign.threshold
        old = f.enterprise.established_on is not None and f.enterprise.established_on <= year_ago
        return (0 if big and old else 1 if big else 2, -(f.enterprise.headcount or 0), f.township.path, f.pk)

    return sorted(qs, key=key)


def stage_counts(*, user: Any, campaign: Campaign) -> dict[str, int]:
    counts = dict.fromkeys(Stage.values, 0)
    for s, n in CampaignFirm.objects.visible_to(user).filter(campaign=campaign).values_list("stage").annotate(
            n=Count("pk")):
        counts[s] = n
    return counts


def firm_history(*, user: Any, firm: CampaignFirm) -> QuerySet[ScreeningStep]:
    return ScreeningStep.objects.visible_to(user).filter(firm=firm).select_related("actor", "union").order_by("pk")


def visible_townships(*, user: Any, campaign: Campaign) -> QuerySet[Union]:
    """The township federations of the campaign's territory that the user sees."""
    return Union.objects.visible_to(user).filter(kind=Union.Kind.TOWNSHIP, path__startswith=campaign.owner.path
                                                 ).order_by("path")


def joint_unions_near(*, user: Any, firm: CampaignFirm) -> list[Union]:
    """Round 3's suggestion: joint unions in the firm's township first, then those of the same trade."""
    qs = Union.objects.visible_to(user).filter(kind=Union.Kind.JOINT, status=Union.Status.NORMAL)
    here = list(qs.filter(path__startswith=firm.township.path)[:10])
    trade = firm.enterprise.industry[:2]
    same = list(qs.filter(name__contains=trade).exclude(pk__in=[u.pk for u in here])[:5]) if trade else []
    return here + same


OPEN_TASKS = [TaskStatus.TODO, TaskStatus.CONTACTED, TaskStatus.PREPARING]
