"""The show event log: typed events, their frames, the show stream and the show state hash.

Core layer: producers (shows, chat, commerce) and the gateway depend on it; it depends only on
``clock``, ``errors``, ``settings`` and ``redis``.
"""
