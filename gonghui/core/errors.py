"""Exceptions shared by the apps' services.

`WrongState` is the one way a service says "this step is not allowed now": the object's status (or who holds
it) forbids it. The API answers it 409 in one handler (gonghui/api.py); the pages show its message. The
message is zh-hans and names the object and the step.
"""

from __future__ import annotations


class WrongState(Exception):
    """The object is not in a state that allows this step (HTTP 409); `message` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
