"""Forms of the admin area (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

import json
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, EqualTo, Length, Optional
from wtforms.validators import ValidationError as FieldError

from .guides import PRODUCT_CHOICES
from .services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

try:  # wtforms >= 3.3 deprecates (value, label) tuples as choices
    from wtforms import SelectChoice as _Choice
except ImportError:  # pragma: no cover - older wtforms

    def _Choice(value: str, label: str) -> Any:
        return (value, label)


_URL = URL(require_tld=False, message="Enter a full URL starting with https://")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class SignInForm(FlaskForm):
    """Username and password."""

    username = StringField(
        "Username", validators=[DataRequired("Enter your username")], filters=[_strip]
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    """The signed-in account changes its own password."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired("Enter a new password"),
            Length(
                MIN_PASSWORD_LENGTH,
                MAX_PASSWORD_LENGTH,
                message=f"A password needs at least {MIN_PASSWORD_LENGTH} characters",
            ),
        ],
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[
            DataRequired("Enter the new password again"),
            EqualTo("new_password", message="The two new passwords differ"),
        ],
    )


class RegistrationForm(FlaskForm):
    """A platform registration: what the LMS shows the admin after registering microcred."""

    name = StringField(
        "Name",
        validators=[DataRequired("Enter a name for this platform"), Length(max=200)],
        filters=[_strip],
    )
    product = SelectField(
        "LMS", choices=[_Choice(v, label) for v, label in PRODUCT_CHOICES], default="generic"
    )
    issuer = StringField(
        "Issuer (platform ID)",
        validators=[DataRequired("Enter the issuer"), _URL],
        filters=[_strip],
    )
    client_id = StringField(
        "Client ID",
        validators=[DataRequired("Enter the client ID"), Length(max=255)],
        filters=[_strip],
    )
    auth_login_url = StringField(
        "OIDC authorization URL",
        validators=[DataRequired("Enter the authorization URL"), _URL],
        filters=[_strip],
    )
    auth_token_url = StringField(
        "Access token URL",
        validators=[DataRequired("Enter the token URL"), _URL],
        filters=[_strip],
    )
    auth_audience = StringField("Token audience", validators=[Optional(), _URL], filters=[_strip])
    key_set_url = StringField(
        "Platform JWKS URL (public keyset URL)", validators=[Optional(), _URL], filters=[_strip]
    )
    # No Optional() here: validate_key_set also runs when it is empty (one of the two is needed).
    key_set = TextAreaField("Or paste the platform's public key set (JSON)", filters=[_strip])
    deployment_ids = TextAreaField("Deployment IDs, one per line", validators=[Optional()])

    def validate_key_set(self, field: Any) -> None:
        """A pasted key set must be a JWK Set or a single JWK, as JSON."""
        if not field.data:
            if not self.key_set_url.data:
                raise FieldError("Enter the platform's JWKS URL or paste its key set")
            return
        try:
            parsed = json.loads(field.data)
        except json.JSONDecodeError as exc:
            raise FieldError(f"This is not valid JSON ({exc.msg}, line {exc.lineno})") from exc
        except ValueError as exc:  # e.g. a number with more digits than Python reads
            raise FieldError(f"This is not valid JSON ({exc})") from exc
        if not isinstance(parsed, dict) or not (
            isinstance(parsed.get("keys"), list) or "kty" in parsed
        ):
            raise FieldError('Paste a JWK Set ({"keys": [...]}) or a single JWK ({"kty": ...})')

    def parsed_deployment_ids(self) -> list[str]:
        """The deployment ids, one per line, trimmed, without blanks or repeats."""
        seen: list[str] = []
        for line in (self.deployment_ids.data or "").splitlines():
            value = line.strip()
            if value and value not in seen:
                seen.append(value)
        return seen

    def service_fields(self) -> dict[str, Any]:
        """The keyword arguments for create_registration / update_registration."""
        return {
            "issuer": self.issuer.data,
            "client_id": self.client_id.data,
            "name": self.name.data,
            "product": self.product.data,
            "auth_login_url": self.auth_login_url.data,
            "auth_token_url": self.auth_token_url.data,
            "auth_audience": self.auth_audience.data or None,
            "key_set_url": self.key_set_url.data or None,
            "key_set": self.key_set.data or None,
        }


def registration_labels() -> dict[str, str]:
    """RegistrationForm's field labels by field name (for pages that name the fields)."""
    form = RegistrationForm(formdata=None, meta={"csrf": False})
    return {name: field.label.text for name, field in form._fields.items()}


class ConfirmForm(FlaskForm):
    """A POST button with nothing but the CSRF token (enable, disable, approve)."""


class RotateKeyForm(FlaskForm):
    """Rotating the tool key needs an explicit confirmation."""

    confirm = BooleanField(
        "Yes, rotate the tool's signing key now",
        validators=[DataRequired("Tick the box to confirm the rotation")],
    )


#: Words in a service ValidationError message that name a registration form field; most
#: specific first ("token audience" before "token URL").
_FIELD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("deployment_ids", ("deployment",)),
    ("auth_audience", ("auth_audience", "audience")),
    ("auth_token_url", ("auth_token_url", "token url", "token endpoint", "access token")),
    ("auth_login_url", ("auth_login_url", "login url", "auth url", "authorization", "oidc")),
    ("key_set_url", ("key_set_url", "jwks url", "key set url", "keyset url", "jwks_uri")),
    ("key_set", ("key_set", "key set", "jwk")),
    ("client_id", ("client_id", "client id")),
    ("issuer", ("issuer", "iss ")),
    ("product", ("product",)),
    ("name", ("name",)),
)


def attach_service_error(form: FlaskForm, exc: Exception) -> str | None:
    """Show a service's ValidationError on the field it is about.

    Uses the error's `field` attribute when it has one, else the words of its message.
    Returns the message when no field fits (the page shows it above the form).
    """
    message = str(getattr(exc, "message", "") or exc)
    name = getattr(exc, "field", None)
    if name not in form._fields:
        lowered = f" {message.lower()} "
        name = next(
            (field for field, words in _FIELD_WORDS if any(w in lowered for w in words)), None
        )
    if name and name in form._fields:
        field = form._fields[name]
        field.errors = [*field.errors, message]
        return None
    return message
