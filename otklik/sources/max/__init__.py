"""MAX (national messenger) Bot API connector: client, parser, fake server."""
