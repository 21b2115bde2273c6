"""FastAPI dependencies of the intake API, as Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Request

from halsosupport.auth import Principal, Role
from halsosupport.web import require_role
from services.intake.bootstrap import IntakeRuntime


def get_runtime(request: Request) -> IntakeRuntime:
    runtime: IntakeRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[IntakeRuntime, Depends(get_runtime)]
Nurse = Annotated[Principal, Depends(require_role(Role.NURSE))]
DirectoryReader = Annotated[Principal, Depends(require_role(Role.NURSE, Role.ADMIN))]
ExemptionDecider = Annotated[Principal, Depends(require_role(Role.HR, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
