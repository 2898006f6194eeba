"""ВКонтакте connector: API v5.199 client, pure parsers, Callback API handler, fake server."""
