"""Sakai 20+: External Tools in the Administration Workspace, and Auto Provision."""

from __future__ import annotations

from ..lms import LEAVE_EMPTY, EnterBack, LmsGuide, Paste, Step, ticked

SAKAI = LmsGuide(
    slug="sakai",
    name="Sakai",
    summary=(
        "Sakai 20 and later supports LTI 1.3; administrators add tools under External Tools in "
        "the Administration Workspace. Sakai 21.1 and 20.3 and later can also register a tool "
        "automatically (“LTI Advantage Auto Provision”)."
    ),
    dynamic=(
        Step(
            "In the Administration Workspace open External Tools and choose “LTI Advantage Auto "
            "Provision”. Give it the title microcred and press “Auto Provision”."
        ),
        Step(
            "On the edit page press “Use LTI Advantage Auto Configuration”, paste the URL and "
            "press “Begin Configuration”.",
            (Paste("Auto Configuration URL", "{registration}"),),
        ),
        Step(
            "When microcred has registered itself, press “Continue Registration in the LMS”, "
            "check the values Sakai filled in, and Save the tool."
        ),
    ),
    manual=(
        Step(
            "In the Administration Workspace open External Tools and choose “Install LTI 1.x "
            "Tool”. Fill in:",
            (
                Paste("Tool Title", "microcred"),
                Paste(
                    "Launch URL",
                    "{deep_link}",
                    "Sakai sends deep linking requests here; placed links carry their own URL",
                ),
                Paste("Launch Key and Launch Secret", LEAVE_EMPTY),
                *ticked(
                    "Send Names",
                    "Send Email",
                    "Allow External Tool to return grades",
                    "Provide Roster to External Tool",
                    "The tool can receive a Content-Item or Deep-Link launch",
                    "Allow the tool to be selected from Lessons",
                    "Allow the tool to be one of the assessment types",
                    "Tool supports LTI 1.3",
                ),
                Paste("LTI 1.3 Tool Keyset URL", "{jwks}"),
                Paste("LTI 1.3 Tool OpenID Connect/Initialization Endpoint", "{login}"),
                Paste("LTI 1.3 Tool Redirect Endpoint(s)", "{redirect_uris}", "one per line"),
            ),
        ),
        Step(
            "Save. Sakai then shows the values for microcred (below); viewing the tool later "
            "shows them again."
        ),
    ),
    enter_back=(
        EnterBack("issuer", "LTI 1.3 Platform Issuer", note="your Sakai's address"),
        EnterBack("client_id", "LTI 1.3 Client Id"),
        EnterBack("deployment_ids", "LTI 1.3 Deployment Id", "1", example=True),
        EnterBack("auth_login_url", "LTI 1.3 Platform OIDC Authentication URL"),
        EnterBack("auth_token_url", "LTI 1.3 Platform OAuth2 Bearer Token Retrieval URL"),
        EnterBack("auth_audience", "not needed for Sakai", note=LEAVE_EMPTY),
        EnterBack("key_set_url", "LTI 1.3 Platform OAuth2 Well-Known/KeySet URL"),
    ),
    prefill={"product": "sakai"},
)
