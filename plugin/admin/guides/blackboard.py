"""Blackboard Learn: the Anthology Developer Portal, then LTI Tool Providers in Learn."""

from __future__ import annotations

from ..lms import LEAVE_EMPTY, EnterBack, LmsGuide, Paste, Step

BLACKBOARD = LmsGuide(
    slug="blackboard",
    name="Blackboard Learn",
    summary=(
        "Blackboard Learn knows tools through the Anthology Developer Portal "
        "(developer.blackboard.com), which gives each application an Application ID: the "
        "client ID. microcred is registered there once; each Learn site then deploys it by that "
        "ID and gets its own deployment ID. The issuer is https://blackboard.com for every site."
    ),
    dynamic=(
        Step(
            "Sign in to the Anthology Developer Portal (developer.blackboard.com), choose "
            "“LTI Dynamic Registration” and give it microcred's registration URL. The portal "
            "shows the new Application ID.",
            (Paste("Registration URL", "{registration}"),),
        ),
        Step("Deploy it in Learn as in steps 3 to 5 of the manual route below."),
    ),
    manual=(
        Step(
            "Sign in to the Anthology Developer Portal (developer.blackboard.com) and choose "
            "“Register a REST or LTI application”. Fill in:",
            (
                Paste("Application Name", "microcred"),
                Paste("Domain(s)", "{domain}"),
                Paste("My integration supports LTI 1.3", "Ticked"),
                Paste("Login Initiation URL", "{login}"),
                Paste(
                    "Tool Redirect URL(s)", "{redirect_uris}", "one per line, or comma-separated"
                ),
                Paste("Tool JWKS URL", "{jwks}"),
                Paste("Signing Algorithm", "RS256"),
                Paste("Custom Parameters", LEAVE_EMPTY, "microcred needs none"),
            ),
        ),
        Step("Register the application and note its Application ID: that is the client ID."),
        Step(
            "In Learn: Administrator Panel, Integrations, LTI Tool Providers, “Register LTI "
            "1.3/Advantage Tool”. Paste the Application ID and Submit.",
            (Paste("Client ID", "the Application ID from the Developer Portal"),),
        ),
        Step(
            "On the tool's page set these, copy the Deployment ID it shows, and Submit:",
            (
                Paste("Tool Status", "Approved"),
                Paste("User Fields to Send", "Role in Course, Name, Email Address"),
                Paste("Allow grade service access", "Yes"),
                Paste("Allow Membership Service Access", "Yes"),
            ),
        ),
        Step(
            "Placements: in LTI Tool Providers open the tool's menu, Manage Placements, "
            "Create Placement:",
            (
                Paste("Label", "microcred"),
                Paste("Handle", "microcred"),
                Paste("Type", "Deep Linking content tool"),
                Paste("Target Link URI", "{deep_link}"),
            ),
        ),
    ),
    enter_back=(
        EnterBack("issuer", "the same for every Learn site", "https://blackboard.com"),
        EnterBack(
            "client_id",
            "Application ID (Developer Portal)",
            "2761a189-689a-4eae-9d14-70a3aa78fb95",
            example=True,
        ),
        EnterBack(
            "auth_login_url",
            "the Developer Portal's OIDC endpoint",
            "https://developer.blackboard.com/api/v1/gateway/oidcauth",
        ),
        EnterBack(
            "auth_token_url",
            "the Developer Portal's token endpoint",
            "https://developer.blackboard.com/api/v1/gateway/oauth2/jwttoken",
        ),
        EnterBack("auth_audience", "not used by Blackboard", note=LEAVE_EMPTY),
        EnterBack(
            "key_set_url",
            "the Developer Portal's keyset for your application",
            "https://developer.blackboard.com/api/v1/management/applications/"
            "APPLICATION_ID/jwks.json",
            "put the Application ID in place of APPLICATION_ID",
        ),
        EnterBack(
            "deployment_ids",
            "Deployment ID on the tool's page in LTI Tool Providers",
            note="Blackboard treats the deployment as your institution",
        ),
    ),
    notes=(
        "A link placed by deep linking is gradable in Learn only when it comes with a line item; "
        "microcred sends one with every graded quiz.",
    ),
    prefill={
        "product": "blackboard",
        "issuer": "https://blackboard.com",
        "auth_login_url": "https://developer.blackboard.com/api/v1/gateway/oidcauth",
        "auth_token_url": "https://developer.blackboard.com/api/v1/gateway/oauth2/jwttoken",
    },
)
