"""Telegram Bot API connector: long-polling client, webhook handler, pure parser, fake server."""
