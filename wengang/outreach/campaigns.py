def campaigns_start_due() -> int:
    return 0
