"""Canvas: developer keys, dynamic registration, the shared issuer and sso.canvaslms.com."""

from __future__ import annotations

from ..lms import LEAVE_EMPTY, EnterBack, LmsGuide, Paste, Step

CANVAS = LmsGuide(
    slug="canvas",
    name="Canvas",
    summary=(
        "Canvas calls a registration a Developer Key of type LTI. Every Instructure-hosted school "
        "shares one issuer, https://canvas.instructure.com; each developer key has its own "
        "client ID, and each place the app is installed has its own deployment ID."
    ),
    dynamic=(
        Step(
            "In Canvas go to Admin, choose your account, open Developer Keys, press "
            "“+ Developer Key” and choose “+ LTI Registration”. Paste the URL and press Continue.",
            (Paste("Dynamic Registration URL", "{registration}"),),
        ),
        Step(
            "microcred registers itself. Canvas then shows the settings it asked for "
            "(placements, privacy level, services): review them and press “Enable & Close”."
        ),
        Step(
            "In the Developer Keys list, check that the key's State is ON and note the number in "
            "its Details column: that is the client ID."
        ),
        Step(
            "Install the app: Admin, Settings, Apps, View App Configurations, “+ App”, "
            "Configuration Type “By Client ID”, paste the client ID, Submit, then Install."
        ),
    ),
    manual=(
        Step(
            "In Canvas go to Admin, choose your account, open Developer Keys, press "
            "“+ Developer Key” and choose “+ LTI Key”. Fill in:",
            (
                Paste("Key Name", "microcred"),
                Paste("Redirect URIs", "{redirect_uris}", "one per line"),
                Paste("Method", "Manual Entry"),
                Paste("Title", "microcred"),
                Paste("Target Link URI", "{launch}"),
                Paste("OpenID Connect Initiation Url", "{login}"),
                Paste("JWK Method", "Public JWK URL"),
                Paste("Public JWK URL", "{jwks}"),
            ),
        ),
        Step(
            "Under “LTI Advantage Services”, turn these on (grades and the course roster):",
            (
                Paste(
                    "Can create and view assignment data in the gradebook associated with "
                    "the tool.",
                    "On",
                ),
                Paste("Can view assignment data in the gradebook associated with the tool.", "On"),
                Paste("Can view submission data for assignments associated with the tool.", "On"),
                Paste(
                    "Can create and update submission results for assignments associated "
                    "with the tool.",
                    "On",
                ),
                Paste(
                    "Can retrieve user data associated with the context the tool is installed in.",
                    "On",
                ),
            ),
        ),
        Step(
            "Under “Additional Settings”:",
            (
                Paste("Domain", "{domain}"),
                Paste(
                    "Privacy Level",
                    "Public",
                    "credentials carry the learner's name; any other level works without it",
                ),
                Paste("Custom Fields", LEAVE_EMPTY, "microcred needs none"),
            ),
        ),
        Step(
            "Under “Placements”, add Link Selection and Assignment Selection. For each, set "
            "Message Type to LtiDeepLinkingRequest and:",
            (Paste("Target Link URI", "{deep_link}"),),
        ),
        Step(
            "Save. Turn the key's State ON and note the number in its Details column: that is "
            "the client ID."
        ),
        Step(
            "Install the app: Admin, Settings, Apps, View App Configurations, “+ App”, "
            "Configuration Type “By Client ID”, paste the client ID, Submit, then Install. "
            "The app's gear menu on that list shows its Deployment Id."
        ),
    ),
    enter_back=(
        EnterBack(
            "issuer",
            "the same for every Instructure-hosted school",
            "https://canvas.instructure.com",
            "beta: https://canvas.beta.instructure.com, test: "
            "https://canvas.test.instructure.com; self-hosted Canvas uses its own URL",
        ),
        EnterBack("client_id", "Developer Keys, Details column", "10000000000003", example=True),
        EnterBack(
            "auth_login_url",
            "Canvas's single sign-on domain",
            "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "beta and test: sso.beta.canvaslms.com, sso.test.canvaslms.com",
        ),
        EnterBack(
            "auth_token_url",
            "your school's own Canvas address",
            "https://school.instructure.com/login/oauth2/token",
            example=True,
        ),
        EnterBack("auth_audience", "not used by Canvas", note=LEAVE_EMPTY),
        EnterBack(
            "key_set_url",
            "Canvas's single sign-on domain",
            "https://sso.canvaslms.com/api/lti/security/jwks",
        ),
        EnterBack(
            "deployment_ids",
            "Apps, the app's gear menu, Deployment Id",
            "2:4dde05e8ca1973bcca9bffc13e1548820eee93a3",
            "one per account, sub-account or course where the app is installed",
            example=True,
        ),
    ),
    notes=(
        "Many schools, and many keys in one school, share the Canvas issuer: microcred tells them "
        "apart by client ID, so add one registration per developer key.",
        "Use the sso.canvaslms.com endpoints. The old canvas.instructure.com ones still answer, "
        "but Canvas requires the new domain for the Platform Storage launch that microcred uses "
        "when the browser blocks cookies inside the Canvas frame.",
        "Under a privacy level other than Public, grades for Canvas's “Test Student” fail.",
    ),
    prefill={
        "product": "canvas",
        "issuer": "https://canvas.instructure.com",
        "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
    },
)
