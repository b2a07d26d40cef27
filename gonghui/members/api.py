"""Members API: the public join (扫码入会 without the page) and the scoped, masked member list and detail."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from gonghui.core.identifiers import mask_phone
from gonghui.core.paging import Paging
from gonghui.orgs.scope import scoped

from . import selectors, services
from .join_views import _join_union
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


class JoinVerifyNeeded(Schema):
    status: str = Field("verify", description="verify：该身份证号码已登记，须凭登记手机收到的验证码完成（/verify）")
    detail: str


class JoinVerifyIn(Schema):
    id_number: str = Field(..., description="与第一步相同的身份证号码")
    code: str = Field(..., description="发送到登记手机号码的6位验证码")
    confirm_transfer: bool = Field(
        False, description="已是其他工会会员时：true 表示本人确认申请转入本会。缺省时返回 status=confirm_transfer 询问，"
        "验证码仍有效（已计一次尝试），确认时再提交一次",
    )


class JoinVerifyOut(Schema):
    member_no: str
    status: str = Field(..., description="active 已入会 | pending 待审核 | transfer_requested 已提交转会申请 | "
                        "confirm_transfer 已是其他工会会员，待本人确认转入")
    message: str
    union: str = Field(..., description="本次扫码加入的工会")
    from_union: str = Field("", description="confirm_transfer / transfer_requested：目前所在的工会")
    detail: str = Field("", description="confirm_transfer 时的确认提示")


STATUS_OF_OUTCOME = {"created": "active", "existing": "active", "pending": "pending",
                     "transfer_requested": "transfer_requested", "confirm_transfer": "confirm_transfer"}
VERIFY_DETAIL = ("该身份证号码已登记。为保护会员信息，此处不显示登记内容：如姓名与登记信息一致，验证码已发送至登记的手机号码，"
                 "请凭验证码完成（POST …/verify）；如登记的手机号码已停用，请联系工会核实。")


def _event(union: Any) -> bool:
    row = services.join_settings_of(union)
    return row is not None and row.event_open()


@router.post(
    "/join/{union_code}", auth=None, response={200: JoinOut, 201: JoinOut, 202: JoinVerifyNeeded},
    summary="扫码入会（公开）",
    description="201：首次入会（或新提交待审核），返回会员卡号。202：该身份证号码已登记（无论姓名为何）——不返回卡号或任何个人信息，"
    "不做任何变更；如姓名与登记一致，验证码发送至登记的手机号码，再调用 /verify 完成。输入有误 400；过于频繁 429"
    "（按身份证号每分钟10次；按IP每分钟1200次；同一IP每小时尝试的不同身份证号码数有上限，工会开启“活动模式”期间放宽）。",
)
def join(request: HttpRequest, union_code: str, payload: JoinIn) -> Any:
    union = _join_union(union_code)
    limited = join_limited(request, payload.id_number, union_id=union.pk, event=_event(union))
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
    except ValidationError as exc:
        raise HttpError(400, exc.messages[0]) from exc
    if result.outcome == "verify":
        return 202, {"status": "verify", "detail": VERIFY_DETAIL}
    new = result.outcome == "created" or (
        result.outcome == "pending" and result.membership is not None and result.membership.created_at >= started
    )
    body = {"member_no": result.person.member_no or "", "status": STATUS_OF_OUTCOME[result.outcome],
            "message": result.status_label}
    return 201 if new else 200, body


@router.post(
    "/join/{union_code}/verify", auth=None, response={200: JoinVerifyOut, 201: JoinVerifyOut},
    summary="扫码入会：已登记者凭短信验证码完成（公开）",
    description="第一步返回 202 后，凭发送到登记手机号码的验证码完成：已是本会会员则返回会员证信息（200）；曾经入会、现无会籍则重新入会"
    "（201）；已是其他工会会员时须本人确认转入（confirm_transfer=true），否则返回 status=confirm_transfer 询问。"
    "验证码错误、过期或已用 400（同一验证码最多尝试5次）；过于频繁 429。",
)
def join_verify(request: HttpRequest, union_code: str, payload: JoinVerifyIn) -> Any:
    union = _join_union(union_code)
    limited = join_limited(request, payload.id_number, union_id=union.pk, event=_event(union))
    if limited:
        raise HttpError(429, limited)
    started = timezone.now()
    try:
        result = services.scan_join_verify(union=union, id_number=payload.id_number, code=payload.code,
                                           confirm_transfer=payload.confirm_transfer)
    except ValidationError as exc:
        raise HttpError(400, exc.messages[0]) from exc
    m = result.membership
    from_union = m.union.name if m is not None and result.outcome in ("confirm_transfer", "transfer_requested") else ""
    body = {
        "member_no": result.person.member_no or "", "status": STATUS_OF_OUTCOME[result.outcome],
        "message": result.status_label, "union": union.name,
        "from_union": from_union,
        "detail": f"你已是{from_union}会员，确认申请转入本会？" if result.outcome == "confirm_transfer" else "",
    }
    new = m is not None and result.outcome in ("created", "pending") and m.created_at >= started
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
    q: str = Field("", description="姓名、部分手机号，或姓名加身份证前6位/后4位。完整身份证号码和手机号码请用 "
                   "POST /api/v1/members/search（不进入网址和访问日志）")
    occupation: str = Field("", description="职业群体")
    political: str = Field("", description="政治面貌")


class MemberSearch(Schema):
    q: str = Field("", max_length=60, description="姓名、手机号（完整或部分）、完整身份证号码（任意写法，经盲索引精确匹配），"
                   "或姓名加身份证前6位/后4位")
    union: int | None = Field(None, ge=1, le=2**63 - 1, description="工会 id：该工会及其下级的会员")
    occupation: str = Field("", max_length=20, description="职业群体")
    political: str = Field("", max_length=10, description="政治面貌")


def _members(request: HttpRequest, *, q: str, union: int | None, occupation: str, political: str) -> Any:
    qs = selectors.member_list(
        user=request.user,
        filters=selectors.MemberFilters(q=q.strip(), union=union, occupation=occupation.strip(),
                                        political=political.strip()),
    )
    return selectors.with_joined_on(qs)


@router.get("/members", response=list[MemberOut], summary="会员列表",
            description="q 中的完整身份证号码或手机号码会被拒绝（422）：请改用 POST /api/v1/members/search，"
            "号码放在请求体中，不出现在网址和访问日志里。")
@paginate(Paging)
def member_list(request: HttpRequest, filters: Query[MemberQuery]) -> Any:
    from .forms import is_sensitive_query

    if is_sensitive_query(filters.q):
        raise HttpError(422, "完整身份证号码或手机号码请用 POST /api/v1/members/search 查询，不要放在网址中")
    return _members(request, q=filters.q, union=filters.union, occupation=filters.occupation,
                    political=filters.political)


@router.post("/members/search", response=list[MemberOut], summary="会员检索（按身份证号码、手机号码）",
             description="条件放在 JSON 请求体中（不进入网址和访问日志）；分页同列表（?limit=&offset=）。")
@paginate(Paging)
def member_search(request: HttpRequest, payload: MemberSearch) -> Any:
    return _members(request, q=payload.q, union=payload.union, occupation=payload.occupation,
                    political=payload.political)


@router.get("/members/{member_id}", response=MemberOut, summary="会员详情")
@scoped(Person, pk="member_id", related=("current_union",), where={"current_union__isnull": False},
        via=("current_union",))
def member_detail(request: HttpRequest, person: Person) -> Person:
    """A current member (the API lists members; former members are the console's history pages)."""
    membership = selectors.open_membership(person=person)
    person.joined_on = membership.joined_on if membership else None  # type: ignore[attr-defined]
    return person
