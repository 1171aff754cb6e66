"""A database-backed pylti1p3 tool configuration, keyed by (issuer, client_id).

pylti1p3 objects are made here from our models, for the library code that wants them (the deep
linking helpers now, the AGS/NRPS service connectors later). Only plugin/lti imports pylti1p3.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from pylti1p3.deployment import Deployment as PyltiDeployment
from pylti1p3.registration import Registration as PyltiRegistration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from .keys import current_tool_key, tool_jwks
from .models import Deployment, Registration


def to_pylti_registration(reg: Registration) -> PyltiRegistration:
    """Our Registration -> pylti1p3's, carrying the current tool key (kid = its thumbprint)."""
    key = current_tool_key()
    pylti = PyltiRegistration()
    pylti.set_issuer(reg.issuer).set_client_id(reg.client_id)
    pylti.set_auth_login_url(reg.auth_login_url).set_auth_token_url(reg.auth_token_url)
    if reg.auth_audience:
        pylti.set_auth_audience(reg.auth_audience)
    pylti.set_key_set_url(reg.key_set_url)
    pylti.set_key_set(json.loads(reg.key_set) if reg.key_set else None)
    pylti.set_tool_private_key(key.private_key_pem)
    private = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    pylti.set_tool_public_key(public_pem)
    return pylti


class DbToolConf(ToolConfAbstract[Any]):
    """pylti1p3 configuration read from the registrations and deployments tables.

    Every issuer may have many client ids (Canvas), so lookups by issuer alone succeed only when
    exactly one active registration has that issuer.
    """

    def __init__(self, session: Session):
        self._session = session

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _registration(self, iss: str, client_id: str | None) -> Registration | None:
        query = select(Registration).where(
            Registration.issuer == iss, Registration.active.is_(True)
        )
        if client_id is not None:
            query = query.where(Registration.client_id == client_id)
        rows = self._session.execute(query.limit(2)).scalars().all()
        return rows[0] if len(rows) == 1 else None

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Any:
        reg = self._registration(iss, None)
        return to_pylti_registration(reg) if reg else None

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        reg = self._registration(iss, client_id)
        return to_pylti_registration(reg) if reg else None

    def find_deployment(self, iss: str, deployment_id: str) -> PyltiDeployment | None:
        reg = self._registration(iss, None)
        return self._deployment(reg, deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> PyltiDeployment | None:
        return self._deployment(self._registration(iss, client_id), deployment_id)

    def _deployment(self, reg: Registration | None, deployment_id: str) -> PyltiDeployment | None:
        if reg is None:
            return None
        found = self._session.execute(
            select(Deployment).where(
                Deployment.registration_id == reg.id,
                Deployment.deployment_id == deployment_id,
                Deployment.status == "active",
            )
        ).scalar_one_or_none()
        return PyltiDeployment().set_deployment_id(found.deployment_id) if found else None

    def get_jwks(
        self, iss: str | None = None, client_id: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The tool's JWKS (one key set for every registration)."""
        return tool_jwks()
