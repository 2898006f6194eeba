"""Одноклассники connector: REST API client (signed), pure parser, fake server."""
