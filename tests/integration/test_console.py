"""The console as the server serves it: index.html at / and at every console route, its
hashed assets with long caching, a strict Content-Security-Policy and framing refused on
every reply, and the API's 404s unchanged (the console never answers under /api/)."""

import re

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


def test_console_files_and_headers(server):
    r = server.get("/", token=False)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"
    html = r.text
    assert "<script" in html and not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline
    assert "http://" not in html and "https://" not in html  # nothing from elsewhere
    # console routes get the same page; the browser decides what to show
    for path in ("/doors", "/people/12", "/sign-in?x=1"):
        r = server.get(path, token=False)
        assert r.status_code == 200 and r.text == html, path
    # the hashed assets it names, cached for a year
    for asset in re.findall(r'(?:src|href)="(/assets/[^"]+)"', html):
        r = server.get(asset, token=False)
        assert r.status_code == 200, asset
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert r.headers["Content-Type"].startswith(
            "text/javascript" if asset.endswith(".js") else "text/css")
    # files that do not exist, and the API, keep their 404s
    for path in ("/assets/nothing.js", "/favicon.ico", "/api/v1/nothing", "/api/"):
        r = server.get(path, token=False)
        assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    # and every API reply carries the same policy
    assert server.get("/api/v1/doors").headers["Content-Security-Policy"] == CSP
