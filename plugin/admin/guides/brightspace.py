"""D2L Brightspace: register, deploy, link; the token audience differs from the token URL."""

from __future__ import annotations

from ..lms import EnterBack, LmsGuide, Paste, Step, ticked

BRIGHTSPACE = LmsGuide(
    slug="brightspace",
    name="D2L Brightspace",
    summary=(
        "Brightspace registers a tool once, then creates deployments of it (each with its own "
        "deployment ID, org units and security settings), then links. Its token audience "
        "differs from its token URL, so microcred needs both."
    ),
    dynamic=(
        Step(
            "Open Admin Tools (the gear), Manage Extensibility, the LTI Advantage tab, "
            "Register Tool, choose Dynamic, paste the URL and press Register.",
            (Paste("Tool initiation registration endpoint", "{registration}"),),
        ),
        Step(
            "Brightspace opens microcred in a new tab; microcred registers itself. The "
            "registration then appears in Brightspace disabled, as the specification asks: "
            "review its extensions and security settings, then enable it."
        ),
        Step("Create a deployment and a link as in steps 3 and 4 of the manual route below."),
    ),
    manual=(
        Step(
            "Open Admin Tools (the gear), Manage Extensibility, the LTI Advantage tab, "
            "Register Tool, choose Standard. Fill in:",
            (
                Paste("Name", "microcred"),
                Paste("Domain", "{origin}"),
                Paste(
                    "Redirect URLs",
                    "{redirect_uris}",
                    "one per box: press “+ Add Redirect URL” for the second",
                ),
                Paste("OpenID Connect Login URL", "{login}"),
                Paste("Target Link URI", "{launch}"),
                Paste("Keyset URL", "{jwks}"),
                *ticked(
                    "Extensions: Assignment and Grade Services",
                    "Extensions: Deep Linking",
                    "Extensions: Names and Role Provisioning Services",
                    "Roles: Send Institution Role",
                ),
            ),
        ),
        Step(
            "Press Register. Brightspace shows the values for microcred (below): Client Id, "
            "Brightspace Keyset URL, Brightspace OAuth2 Access Token URL, OpenID Connect "
            "Authentication Endpoint, Brightspace OAuth2 Audience and Issuer."
        ),
        Step(
            "Press View Deployments, then New Deployment. Choose microcred as the Tool, tick "
            "the same extensions, and under Security Settings tick the name and email fields "
            "(leave Anonymous unticked). Press Add Org Units to choose where it may be used, then "
            "Save and Close. Copy the Deployment Id it shows.",
            (Paste("Security Settings", "Name, Email, org unit and link information"),),
        ),
        Step(
            "Press View Links, then New Link, so instructors can pick modules:",
            (Paste("Type", "Deep Linking Quicklink"), Paste("URL", "{deep_link}")),
        ),
    ),
    enter_back=(
        EnterBack(
            "issuer",
            "Issuer",
            "https://school.brightspace.com",
            "your Brightspace address",
            example=True,
        ),
        EnterBack("client_id", "Client Id"),
        EnterBack(
            "auth_login_url",
            "OpenID Connect Authentication Endpoint",
            "https://school.brightspace.com/d2l/lti/authenticate",
            example=True,
        ),
        EnterBack(
            "auth_token_url",
            "Brightspace OAuth2 Access Token URL",
            "https://auth.brightspace.com/core/connect/token",
        ),
        EnterBack(
            "auth_audience",
            "Brightspace OAuth2 Audience",
            "https://api.brightspace.com/auth/token",
            "required: it differs from the token URL",
        ),
        EnterBack(
            "key_set_url",
            "Brightspace Keyset URL",
            "https://school.brightspace.com/d2l/.well-known/jwks",
            example=True,
        ),
        EnterBack("deployment_ids", "Deployment Id (on the deployment)"),
    ),
    notes=(
        "Brightspace rotates its signing keys about every hour; microcred fetches the keyset "
        "again when a launch names a key it has not seen.",
    ),
    prefill={
        "product": "brightspace",
        "auth_token_url": "https://auth.brightspace.com/core/connect/token",
        "auth_audience": "https://api.brightspace.com/auth/token",
    },
)
