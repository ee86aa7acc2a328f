"""The local agent API (issue 16): kassa headless beside the store's own POS software.

``kassa agent --config FILE`` (:mod:`ui.api.service`) serves :mod:`ui.api.app` on
127.0.0.1 and a Unix socket; every call drives the cashier app's own checkout session
(:mod:`ui.api.checkout`); :mod:`ui.api.client` is a small Python client; the calls are
described by ``ui/api/openapi.json``.
"""
