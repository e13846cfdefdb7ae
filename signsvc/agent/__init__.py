"""``signsvc-agent``: the official's local signing agent.

It runs on the official's PC, listens on 127.0.0.1 only, and signs a hash prepared by the
signsvc server with the official's own token, after showing what is signed and asking
for the PIN. ``protocol`` is the wire format shared with the server (standard library
only); ``config``, ``token`` (PKCS#11), ``pin``, ``server`` (HTTP) and ``main`` are the
agent itself. ``config/agent.example.toml`` documents the configuration.
"""
