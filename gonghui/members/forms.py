"""Console forms. Each validates what a cadre types; the rules themselves live in services/imports."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from gonghui.core.forms import CnDateField, CnDateInput, ConsoleForm
from gonghui.core.identifiers import parse_id_number
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.picker import UnionPickerField, UnionPickerWidget

from . import services
from .models import MembershipEvent, Occupation, Person, Political, TransferRequest
from .selectors import MEMBER_STATUSES, MemberFilters

SEARCH_HELP = ("可输入：姓名（或其中几个字）；手机号码（完整或部分数字）；完整身份证号码；"
               "或姓名加身份证号码前6位（地区码）/后4位，如“张伟 331003”“张伟 1234”")
SAVED_SEARCHES = "members_saved_searches"
MAX_SAVED_SEARCHES = 20
_LONG_DIGITS = re.compile(r"\d{7,}")


def is_sensitive_query(q: str) -> bool:
    """A search that must not travel in a URL (and so into access logs): a full ID or mobile number, or any
    run of 7 or more digits (grouped digits counted together). Names, masked IDs, a name with an area code or
    last four may stay in the URL."""
    compact = "".join(q.split())
    try:
        parse_id_number(compact)
    except ValueError:
        pass
    else:
        return True
    if compact.replace("-", "").isdigit():  # a number typed in groups: 177 1234 1182
        return len(compact.replace("-", "")) >= 7
    return any(_LONG_DIGITS.search(token.replace("-", "")) for token in q.split())


def search_save(session: Any, q: str) -> str:
    """Keep `q` in the session under a random key (the URL then carries only `qk=<key>`)."""
    saved = dict(session.get(SAVED_SEARCHES) or {})
    for key, value in saved.items():
        if value == q:
            return str(key)
    key = secrets.token_urlsafe(9)
    saved[key] = q
    while len(saved) > MAX_SAVED_SEARCHES:
        saved.pop(next(iter(saved)))
    session[SAVED_SEARCHES] = saved
    return key


def search_lookup(session: Any, key: str) -> str | None:
    value = (session.get(SAVED_SEARCHES) or {}).get(key)
    return str(value) if value is not None else None


def without_sensitive_q(data: Any, session: Any) -> tuple[Any, bool]:
    """A copy of the query (GET or POST data) in which a sensitive `q` is replaced by a saved-search key;
    True when something was replaced. The CSRF token and the page number are dropped."""
    query = data.copy()
    for key in ("csrfmiddlewaretoken", "page"):
        query.pop(key, None)
    if "q" in query:  # a search typed now replaces the saved one
        query.pop("qk", None)
    for key in [k for k, v in query.items() if v == ""]:
        query.pop(key)
    q = query.get("q", "")
    if q and is_sensitive_query(q):
        query.pop("q")
        query["qk"] = search_save(session, q)
        return query, True
    return query, False


SELECTION_LIMIT = 100  # rows ticked at once: the list's largest page


class MemberFilterForm(ConsoleForm):
    """The member list's filters. Every value is checked: an invalid one is an error beside its field, never
    "no filter" (a typo in a date once exported every member). The union may be any union in the user's
    scope, grassroots ones included (their pages link to "本会会员")."""

    q = forms.CharField(label="搜索", required=False, max_length=60, help_text=SEARCH_HELP, widget=forms.TextInput(
        attrs={"placeholder": "姓名 / 手机号（可部分）/ 身份证号 / 姓名+身份证前6位或后4位",
               "class": "form-control form-control-sm", "autocomplete": "off"}))
    qk = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    union = UnionPickerField(label="工会（含下级）", required=False,
                             widget=UnionPickerWidget(attrs={"class": "form-control-sm"}))
    status = forms.ChoiceField(label="状态", required=False, choices=MEMBER_STATUSES,
                               widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    occupation = forms.ChoiceField(label="职业群体", required=False,
                                   choices=[("", "全部职业")] + list(Occupation.choices),
                                   widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    political = forms.ChoiceField(label="政治面貌", required=False,
                                  choices=[("", "全部政治面貌")] + list(Political.choices),
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    joined_from = CnDateField(label="入会日期从", required=False,
                              widget=CnDateInput(attrs={"class": "form-control form-control-sm"}))
    joined_to = CnDateField(label="至", required=False,
                            widget=CnDateInput(attrs={"class": "form-control form-control-sm"}))
    enterprise = forms.IntegerField(label="工作单位", required=False, min_value=1, max_value=2**63 - 1,
                                    widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, session: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.session = session
        self.union_obj: Union | None = None
        self.enterprise_obj: Enterprise | None = None
        # any union in scope, grassroots ones included, chosen with the searchable picker
        self.fields["union"].limit_to(Union.objects.visible_to(user))  # type: ignore[attr-defined]

    def clean_union(self) -> int | None:
        pk = self.cleaned_data["union"]
        if pk is None:
            return None
        self.union_obj = Union.objects.visible_to(self.user).filter(pk=pk).first()
        if self.union_obj is None:
            raise forms.ValidationError("所选工会不存在或不在您的管辖范围内")
        return int(pk)

    def clean_enterprise(self) -> int | None:
        pk = self.cleaned_data["enterprise"]
        if pk is None:
            return None
        self.enterprise_obj = Enterprise.objects.visible_to(self.user).filter(pk=pk).first()
        if self.enterprise_obj is None:
            raise forms.ValidationError("所选工作单位不存在或不在您的管辖范围内")
        return int(pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("qk") or ""
        if key and not data.get("q"):
            saved = search_lookup(self.session, key) if self.session is not None else None
            if saved is None:
                self.add_error("q", "搜索条件已失效，请重新输入")
            else:
                data["q"] = saved
        start, end = data.get("joined_from"), data.get("joined_to")
        if start and end and start > end:
            self.add_error("joined_to", "结束日期不能早于开始日期")
        # the rows ticked on the list (导出所选): person ids, within the other filters and the user's scope
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        if any(not str(v).isdigit() or len(str(v)) > 18 for v in raw):
            self.add_error(None, "所选的行有误，请重新勾选")
        elif len(set(raw)) > SELECTION_LIMIT:
            self.add_error(None, f"一次最多导出所勾选的 {SELECTION_LIMIT} 人")
        data["ids"] = tuple(sorted({int(v) for v in raw if str(v).isdigit() and len(str(v)) <= 18}))
        return data

    def filters(self) -> MemberFilters:
        """The validated filters. Only after is_valid(): an invalid form has no filters to give."""
        if not self.is_valid():
            raise ValueError("invalid member filters")
        d = self.cleaned_data
        return MemberFilters(q=d["q"] or "", union=d["union"], occupation=d["occupation"] or "",
                             political=d["political"] or "", joined_from=d["joined_from"], joined_to=d["joined_to"],
                             enterprise=d["enterprise"], status=d["status"] or "", ids=d.get("ids", ()))

    def url_query(self) -> str:
        """The filters as a query string for links (pages, export): never a sensitive search, only its key."""
        d = self.cleaned_data
        query = QueryDict(mutable=True)
        for name in ("union", "status", "occupation", "political", "joined_from", "joined_to", "enterprise"):
            if d.get(name) not in (None, ""):
                query[name] = str(d[name])
        if d.get("ids"):
            query.setlist("ids", [str(i) for i in d["ids"]])
        q = d.get("q") or ""
        if q:
            if is_sensitive_query(q) and self.session is not None:
                query["qk"] = search_save(self.session, q)
            else:
                query["q"] = q
        return query.urlencode()


class ExportForm(forms.Form):
    """The export dialog: masked by default; full ID numbers and mobiles only with a reason and a confirmation."""

    unmasked = forms.BooleanField(label="导出完整身份证号码和手机号码", required=False)
    reason = forms.CharField(label="导出原因", required=False, max_length=100, widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "如：报送市总工会会员实名数据核对"}))
    confirm = forms.BooleanField(label="我确认导出文件仅用于上述用途，妥善保管，不外传", required=False)

    def __init__(self, *args: Any, may_unmask: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.may_unmask = may_unmask

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("unmasked"):
            if not self.may_unmask:
                raise forms.ValidationError("您没有导出完整身份证号码的权限")
            if len((data.get("reason") or "").strip()) < 2:
                self.add_error("reason", "导出完整身份证号码须填写原因")
            if not data.get("confirm"):
                self.add_error("confirm", "请勾选确认")
        return data


class RevealForm(forms.Form):
    reason = forms.CharField(label="查看原因", min_length=2, max_length=100, widget=forms.TextInput(
        attrs={"class": "form-control form-control-sm", "placeholder": "如：办理医疗互助理赔核对身份"}))


CHANGE_KINDS = [(k, MembershipEvent.Kind(k).label) for k in (
    MembershipEvent.Kind.RETAIN, MembershipEvent.Kind.RESTORE, MembershipEvent.Kind.LEAVE, MembershipEvent.Kind.EXPEL)]


class ChangeForm(forms.Form):
    kind = forms.ChoiceField(label="变动", choices=CHANGE_KINDS, widget=forms.Select(attrs={"class": "form-select", "aria-label": "会籍变动"}))
    on = CnDateField(label="日期", initial=timezone.localdate, widget=CnDateInput(
        attrs={"class": "form-control", "aria-label": "变动日期"}))
    reason = forms.CharField(label="原因", max_length=200, required=False, widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "退会、除名须填写原因", "aria-label": "变动原因"}))

    def clean_on(self) -> Any:
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError("日期不能晚于今天")
        return on


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", "同意"), ("0", "拒绝")], coerce=lambda v: v == "1")
    reason = forms.CharField(max_length=200, required=False)


TRANSFER_NOT_FOUND = ("未找到与该身份证号码和姓名相符的在会会员。请核对后重试；"
                      "如其尚未加入任何工会，请直接办理入会。")


class TransferInForm(forms.Form):
    """办理转入: the cadre types the person's full ID number AND name (the worker is in front of them). Only a
    pair that matches a current member finds anyone; every other answer is the same sentence, so the form
    never tells who holds an ID number, nor whether they are a member, nor where."""

    id_number = forms.CharField(label="身份证号码", max_length=30, widget=forms.TextInput(
        attrs={"class": "form-control", "autocomplete": "off", "placeholder": "转入人员的完整身份证号码"}))
    name = forms.CharField(label="姓名", max_length=30, widget=forms.TextInput(
        attrs={"class": "form-control", "autocomplete": "off", "placeholder": "与身份证一致的姓名"}))
    to_union = UnionPickerField(label="转入工会", kinds=(Union.Kind.SINGLE, Union.Kind.JOINT, Union.Kind.FEDERATION),
                                action="change")
    reason = forms.CharField(label="原因", max_length=200, required=False, widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "如：工作调动"}))

    def __init__(self, *args: Any, unions: QuerySet[Union], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_union"].limit_to(unions)  # type: ignore[attr-defined]
        self.person: Person | None = None
        self.masked = ""

    def clean(self) -> dict[str, Any]:
        from gonghui.core import crypto
        from gonghui.core.identifiers import mask_id

        data = super().clean() or {}
        if "id_number" not in data or "name" not in data:
            return data
        try:
            ident = parse_id_number(data["id_number"])
        except ValueError as exc:
            self.add_error("id_number", str(exc) or "身份证号码格式不正确")
            return data
        self.masked = mask_id(ident.number)
        person = (Person.objects.filter(id_index=crypto.blind_index(ident.number), current_union__isnull=False)
                  .select_related("current_union").first())
        typed = "".join(str(data["name"]).split())
        if person is None or "".join(person.name.split()) != typed:
            raise forms.ValidationError(TRANSFER_NOT_FOUND, code="not_found")
        self.person = person
        elsewhere = TransferRequest.objects.filter(person=person, status=TransferRequest.Status.PENDING).exclude(
            to_union_id=data.get("to_union"))
        if elsewhere.exists():  # without naming the other destination, which may lie outside the cadre's scope
            raise forms.ValidationError("该会员已有一笔转会申请在审批中，请待其办结后再办理", code="pending")
        return data


class BatchDecideForm(forms.Form):
    """批量审核: the ticked rows (person ids, at most a page of them), the decision, and a reason to reject."""

    ids = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": "请先勾选要审核的申请人"})
    approve = forms.TypedChoiceField(choices=[("1", "通过"), ("0", "不通过")], coerce=lambda v: v == "1")
    reject_reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # any id: which of them the user may decide is the selector's business (pending_joins, action=approve)
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw if str(v).isdigit() and len(str(v)) <= 18]  # type: ignore[attr-defined]

    def clean_ids(self) -> list[int]:
        ids = list(dict.fromkeys(self.cleaned_data["ids"]))
        if len(ids) > SELECTION_LIMIT:
            raise forms.ValidationError(f"一次最多审核 {SELECTION_LIMIT} 人")
        return ids

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("approve") is False and not (data.get("reject_reason") or "").strip():
            self.add_error("reject_reason", "批量不通过须填写原因")
        return data



class MemberAddForm(ConsoleForm):
    """新增会员: one person, typed by a cadre who holds `change` on the union (chosen with the picker). Each field is
    checked by the service's own cleaner (members.services.clean_name / clean_id / clean_phone, the import's and
    the scan's), so every error shows at once; the service checks again when it writes."""

    name = forms.CharField(label="姓名", max_length=30, widget=forms.TextInput(
        attrs={"class": "form-control", "autocomplete": "off"}), error_messages={"required": "姓名不能为空"})
    id_number = forms.CharField(label="身份证号码", max_length=30, widget=forms.TextInput(
        attrs={"class": "form-control", "autocomplete": "off", "inputmode": "text", "placeholder": "18位"}),
        error_messages={"required": "身份证号码不能为空"})
    phone = forms.CharField(label="手机号码", max_length=20, widget=forms.TextInput(
        attrs={"class": "form-control", "autocomplete": "off", "inputmode": "tel"}),
        error_messages={"required": "请填写手机号码"})
    union = UnionPickerField(label="所在工会", kinds=(Union.Kind.SINGLE, Union.Kind.JOINT, Union.Kind.FEDERATION),
                             action="change", help_text="会员加入的基层工会或工会联合会")
    employer = forms.CharField(label="工作单位", max_length=120, required=False, widget=forms.TextInput(
        attrs={"class": "form-control"}), help_text="与该工会覆盖的企业同名时自动关联")
    occupation = forms.ChoiceField(label="职业群体", choices=Occupation.choices, initial=Occupation.OTHER,
                                   widget=forms.Select(attrs={"class": "form-select"}))
    joined_on = CnDateField(label="入会日期", required=False, initial=timezone.localdate,
                            help_text="年-月-日，不填为今天")

    def __init__(self, *args: Any, unions: QuerySet[Union], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["union"].limit_to(unions)  # type: ignore[attr-defined]
        for field in self.fields.values():
            if field.required:
                field.widget.attrs.setdefault("required", "")

    def clean_name(self) -> str:
        return services.clean_name(self.cleaned_data["name"])

    def clean_id_number(self) -> str:
        return services.clean_id(self.cleaned_data["id_number"]).number

    def clean_phone(self) -> str:
        return services.clean_phone(self.cleaned_data["phone"])

    def clean_joined_on(self) -> Any:
        on = self.cleaned_data.get("joined_on")
        if on is not None and on > timezone.localdate():
            raise forms.ValidationError("入会日期不能晚于今天")
        return on
