"""The leaders' dashboard: a Telegram Mini App (page + JSON API) served by the bot process itself.

``auth`` checks Telegram's signed launch data (initData), ``api`` builds the JSON views from the store
with the same domain functions as /status and the digest, ``server`` is the aiohttp app on the bot's
event loop, ``static/`` the page (plain HTML/CSS/JS, nothing from outside).
"""
