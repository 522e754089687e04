"""Store staff see the redemption page and their stores' figures, nothing else: every route of the app, called
by a signed-in `store` user, answers no more than it answers someone not signed in, except the few below.

The routes are read from the app itself, so a route added later is walked too."""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from hub.composition import create_app
from tests.factories import PASSWORD, make_user, token_for
from tests.inbox.test_access_walk import bodies
from tests.stores.factories import make_contact, make_coupon, make_store

ORIGIN = "https://hub.example.test"
THEIRS = {
    ("GET", "/api/v1/me"): "who they are",
    ("GET", "/api/v1/stores"): "their stores",
    ("GET", "/api/v1/stores/{store_id}/figures"): "their store's figures",
    ("GET", "/api/v1/coupons/{code}"): "a coupon the customer shows",
    ("POST", "/api/v1/coupons/redeem"): "redeeming it at their store",
    ("GET", "/store"): "the redemption page",
    ("POST", "/account/language"): "their language",
}
"""What a store user may do that someone signed out may not."""
ENDS_THE_SESSION = {"/logout", "/account/sessions/end", "/account/password"}


def test_store_staff_reach_only_the_redemption_page_and_their_figures(backend):
    clerk = make_user("clerk@shop.test", role="store")
    store_id = make_store(staff_ids=[clerk.id or 0])
    code = make_coupon(make_contact())
    ids = {"store_id": store_id, "code": code}
    app = create_app()
    samples = bodies(app)
    samples[("/api/v1/coupons/redeem", "POST")] = {"code": code, "store_id": store_id}
    walked, wrong, reached = 0, [], set()
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as signed_in, \
            TestClient(app, base_url=ORIGIN, follow_redirects=False) as stranger:
        headers = token_for(signed_in, "clerk@shop.test")
        assert signed_in.post("/login", data={"email": "clerk@shop.test", "password": PASSWORD},
                              headers={"Origin": ORIGIN}).status_code == 303
        csrf = {"X-CSRF-Token": re.search(r'name="csrf-token" content="([^"]+)"', signed_in.get("/store").text)[1]}
        for context in iter_route_contexts(app.routes):
            path = context.path
            if path.startswith(("/static", "/sandbox")) or path in ENDS_THE_SESSION:
                continue
            url = re.sub(r"{([^}:]+)(?::[^}]*)?}", lambda m: str(ids.get(m.group(1), 1)), path)
            for method in sorted(getattr(context, "methods", None) or ()):
                if method == "HEAD":
                    continue
                body = samples.get((path, method))
                extra = headers if path.startswith("/api/") else csrf
                form = {"locale": "ja"} if path == "/account/language" else None
                answer = signed_in.request(method, url, headers=extra, json=body, data=form)
                walked += 1
                if (method, path) in THEIRS:
                    if answer.status_code < 400:
                        reached.add((method, path))
                    continue
                elsewhere = answer.headers.get("location", "").startswith(("/store", "/login"))
                if answer.status_code >= 400 or (answer.status_code in (302, 303, 307) and elsewhere):
                    continue
                anonymous = stranger.request(method, url, json=body, data=form)
                if anonymous.status_code != answer.status_code:
                    wrong.append(f"{method} {url} -> {answer.status_code} (signed out: {anonymous.status_code})")
    assert not wrong, "\n".join(wrong)
    assert reached == set(THEIRS), set(THEIRS) - reached
    assert walked > 100
