"""The control plane's service layer (no FastAPI): the /v1 routers and the operator CLI share it.

Build a ``context.Context`` once (``Context.from_settings(settings, berth_api_pool, redis)``)
and pass a ``context.Caller(tenant_id, actor)`` naming who acts, e.g.
``Caller(tenant_id, "operator:alice")``. Modules: ``identity`` (signup, login),
``principals`` (bearer -> Caller), ``api_keys``, ``endpoints``, ``endpoint_tokens``,
``audit``, ``usage``, ``accounts``; ``lifecycle`` holds the worker's steps.
"""
