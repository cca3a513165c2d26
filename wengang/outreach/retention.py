def messages_purge() -> int:
    return 0
