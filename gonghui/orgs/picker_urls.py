"""The union tree picker's endpoint, namespace "picker" (mounted at /pick/ by OrgsConfig.ready())."""

from django.urls import path

from . import picker

app_name = "picker"

urlpatterns = [
    path("unions/", picker.unions, name="unions"),
]
