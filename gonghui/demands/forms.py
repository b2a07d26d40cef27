from __future__ import annotations

from typing import Any

from django import forms

from gonghui.accounts.permissions import Action
from gonghui.orgs.models import Union
from gonghui.orgs.picker import UnionPickerField


class PlaceForm(forms.Form):
    """The union a cadre logs a demand at: one they handle (the picker, limited to their handling scope)."""

    union = UnionPickerField(label="所在工会", action=Action.HANDLE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["union"].limit_to(Union.objects.visible_to(user, Action.HANDLE))  # type: ignore[attr-defined]


class HandledPlaceForm(forms.Form):
    """The union a service is ordered for, or a visit held at: one in the user's handling scope (the picker)."""

    union = UnionPickerField(label="服务工会", action=Action.HANDLE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["union"].limit_to(Union.objects.visible_to(user, Action.HANDLE))  # type: ignore[attr-defined]
