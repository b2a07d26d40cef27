"""Members API: the public join (扫码入会 without the page) and the scoped, masked member list and detail."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from gonghui.core.paging import Paging
from gonghui.orgs.scope import scoped

from . import selectors, services
from .join_views import _join_union, mask_phone
from .models import Occupation, Person
from .ratelimits import join_limited

router = Router(tags=["会员"])


# ---------------------------------------------------------------- public join


class JoinIn(Schema):
    name: str = Field(..., description="姓名")
    id_number: str = Field(..., description="居民身份证号码（空格、全角、小写x均可）")
    phone: str = Field(..., description="手机号码")
    employer: str = Field("", description="工作单位：本会覆盖企业的全称，或自由填写")
    occupation: str = Field(Occupation.OTHER, description="职业群体，如 快递员、货车司机")
    consent: bool = Field(..., description="已同意个人信息处理规则，并单独同意处理身份证号码（敏感个人信息）")


class JoinOut(Schema):
    member_no: str
    status: str = Field(..., description="active 已入会 | pending 待审核 | transfer_requested 已提交转会申请")
    message: str


STATUS_OF_OUTCOME = {"created": "active", "existing": "active", "pending": "pending",
                     "transfer_requested": "transfer_requested"}


@router.post(
    "/join/{union_code}", auth=None, response={200: JoinOut, 201: JoinOut}, summary="扫码入会（公开）",
    description="201：新入会（或新提交待审核）；200：已是本会会员（同一会员卡号）或已有申请。"
    "身份证号码已登记但姓名不符时返回 409（不透露登记内容）；输入有误 400；过于频繁 429（按身份证号每分钟约10次；"
    "按IP每分钟≥1000次，活动现场共用网络不受影响）。",
)
def join(request: HttpRequest, union_code: str, payload: JoinIn) -> Any:
    union = _join_union(union_code)
    limited = join_limited(request, payload.id_number)
    if limited:
        raise HttpError(429, limited)
    if not payload.consent:
        raise HttpError(400, "请先同意个人信息处理规则，并单独同意处理身份证号码等敏感个人信息")
    started = timezone.now()
    try:
        result = services.scan_join(
            union=union, name=payload.name, id_number=payload.id_number, phone=payload.phone,
            employer_text=payload.employer, occupation=payload.occupation,
        )
    except services.NameMismatch as exc:
        raise HttpError(409, exc.messages[0]) from exc
    except ValidationError as exc:
        raise HttpError(400, exc.messages[0]) from exc
    new = result.outcome == "created" or (
        result.outcome == "pending" and result.membership is not None and result.membership.created_at >= started
    )
    body = {"member_no": result.person.member_no or "", "status": STATUS_OF_OUTCOME[result.outcome],
            "message": result.status_label}
    return 201 if new else 200, body


# ---------------------------------------------------------------- member list and detail (scoped, masked)


class MemberOut(Schema):
    id: int
    name: str
    id_masked: str
    sex: str
    birth_date: date
    phone: str = Field(..., description="中间4位打码")
    member_no: str | None
    union_id: int | None
    union_name: str | None
    employer_name: str
    occupation: str
    political: str
    joined_on: date | None

    @staticmethod
    def resolve_phone(obj: Person) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_union_id(obj: Person) -> int | None:
        return obj.current_union_id

    @staticmethod
    def resolve_union_name(obj: Person) -> str | None:
        return obj.current_union.name if obj.current_union is not None else None

    @staticmethod
    def resolve_joined_on(obj: Person) -> date | None:
        return getattr(obj, "joined_on", None)


class MemberQuery(Schema):
    union: int | None = Field(None, description="工会 id：该工会及其下级的会员")
    q: str = Field("", description="姓名、手机号，或完整身份证号码（任意写法，经盲索引精确匹配）")
    occupation: str = Field("", description="职业群体")
    political: str = Field("", description="政治面貌")


@router.get("/members", response=list[MemberOut], summary="会员列表")
@paginate(Paging)
def member_list(request: HttpRequest, filters: Query[MemberQuery]) -> Any:
    qs = selectors.member_list(
        user=request.user,
        filters=selectors.MemberFilters(
            q=filters.q.strip(), union=filters.union, occupation=filters.occupation.strip(),
            political=filters.political.strip(),
        ),
    )
    return selectors.with_joined_on(qs)


@router.get("/members/{member_id}", response=MemberOut, summary="会员详情")
@scoped(Person, pk="member_id", related=("current_union",), where={"current_union__isnull": False},
        via=("current_union",))
def member_detail(request: HttpRequest, person: Person) -> Person:
    """A current member (the API lists members; former members are the console's history pages)."""
    membership = selectors.open_membership(person=person)
    person.joined_on = membership.joined_on if membership else None  # type: ignore[attr-defined]
    return person
