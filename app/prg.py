"""Post/redirect/get: a form post that worked answers 303 See Other, so the browser shows the
next page by GET and Back or Reload never sends the form again.

Views write `redirect(url)` as usual; after any POST a 302 becomes 303 here, in one place.
(The pages that answer a post with its form again, to fix a mistake or after someone else's
change, are made ordinary history entries by static/js/app.js.)
"""
from __future__ import annotations

from flask import Flask, Response, request


def init_post_redirect_get(app: Flask) -> None:
    @app.after_request
    def see_other_after_post(response: Response) -> Response:
        if request.method == "POST" and response.status_code == 302:
            response.status_code = 303
        return response
