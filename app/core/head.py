"""HEAD on every path that serves GET (RFC 9110 §9.3.2): the GET's status and headers, no body.

FastAPI routes declare the methods they serve, and a GET route does not serve HEAD by
itself. Rather than declaring a second operation per route, this middleware runs a HEAD
as the GET it stands for and sends the answer's start (status, headers, Content-Length
included) without the body.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Serves HEAD by running GET and dropping the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
