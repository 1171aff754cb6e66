"""Moodle 3.10+: External tool, dynamic registration and its Pending state."""

from __future__ import annotations

from ..lms import LEAVE_EMPTY, EnterBack, LmsGuide, Paste, Step

MOODLE = LmsGuide(
    slug="moodle",
    name="Moodle",
    summary=(
        "Moodle 3.10 and later (including 4.x) calls a registration an External tool. Moodle "
        "supports dynamic registration; its issuer is your Moodle's own address."
    ),
    dynamic=(
        Step(
            "Go to Site administration, Plugins, Activity modules, External tool, Manage tools. "
            "Paste the URL into “Tool URL” and press “Add LTI Advantage”.",
            (Paste("Tool URL", "{registration}"),),
        ),
        Step(
            "Moodle opens microcred's registration page in a frame; microcred registers itself "
            "and the frame closes. If a tool with the same domain exists, Moodle first asks "
            "whether to update it or to register a new external tool."
        ),
        Step(
            "The new tool's card says Pending. A dynamically registered Moodle tool stays Pending, "
            "and no course can use it, until you press Activate on its card in Manage tools."
        ),
        Step(
            "Once active it is a preconfigured tool but not in the activity chooser: a teacher "
            "turns on “Show in activity chooser” on the course's Course tools page, or you edit "
            "the tool and set “Tool configuration usage” to “Show in activity chooser and as a "
            "preconfigured tool”."
        ),
    ),
    manual=(
        Step(
            "Go to Site administration, Plugins, Activity modules, External tool, Manage tools, "
            "and choose “configure a tool manually”. Fill in:",
            (
                Paste("Tool name", "microcred"),
                Paste("Tool URL", "{launch}"),
                Paste("LTI version", "LTI 1.3"),
                Paste("Public key type", "Keyset URL"),
                Paste("Public keyset", "{jwks}"),
                Paste("Initiate login URL", "{login}"),
                Paste("Redirection URI(s)", "{redirect_uris}", "one per line"),
                Paste("Custom parameters", LEAVE_EMPTY, "microcred needs none"),
                Paste(
                    "Tool configuration usage",
                    "Show in activity chooser and as a preconfigured tool",
                ),
                Paste("Default launch container", "Embed, without blocks"),
                Paste("Supports Deep Linking (Content-Item Message)", "Ticked"),
                Paste("Content Selection URL", "{deep_link}"),
            ),
        ),
        Step(
            "Under Services:",
            (
                Paste(
                    "IMS LTI Assignment and Grade Services",
                    "Use this service for grade sync and column management",
                ),
                Paste(
                    "IMS LTI Names and Role Provisioning",
                    "Use this service to retrieve members' information as per privacy settings",
                ),
                Paste("Tool Settings", "Do not use this service"),
            ),
        ),
        Step(
            "Under Privacy:",
            (
                Paste("Share launcher's name with tool", "Always"),
                Paste("Share launcher's email with tool", "Always"),
                Paste("Accept grades from the tool", "Always"),
            ),
        ),
        Step(
            "Save changes. On the tool's card press “View configuration details” (the list icon) "
            "and enter what it shows into microcred, as below."
        ),
    ),
    enter_back=(
        EnterBack(
            "issuer",
            "Platform ID",
            "https://moodle.example.edu",
            "your Moodle's address",
            example=True,
        ),
        EnterBack("client_id", "Client ID", "LyRl2z2Ai4Vxgok", example=True),
        EnterBack("deployment_ids", "Deployment ID", "1", example=True),
        EnterBack(
            "auth_login_url",
            "Authentication request URL",
            "https://moodle.example.edu/mod/lti/auth.php",
            example=True,
        ),
        EnterBack(
            "auth_token_url",
            "Access token URL",
            "https://moodle.example.edu/mod/lti/token.php",
            example=True,
        ),
        EnterBack("auth_audience", "not used by Moodle", note=LEAVE_EMPTY),
        EnterBack(
            "key_set_url",
            "Public keyset URL",
            "https://moodle.example.edu/mod/lti/certs.php",
            example=True,
        ),
    ),
    notes=(
        "After dynamic registration there is nothing to enter: microcred stores the issuer, "
        "client ID, endpoints and deployment ID that Moodle returned.",
        "Moodle's token endpoint answers even for a Pending tool, so working grade calls do not "
        "prove that the tool was activated: check its card in Manage tools.",
    ),
    prefill={"product": "moodle"},
)
