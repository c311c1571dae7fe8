"""Everything livebuy keeps in Redis: key names, the connection, Lua scripts, embedded server."""
