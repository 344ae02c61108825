"""Argument types shared by deploysvc's openstack commands."""


def positive(text):
    """An integer of at least 1 (argparse says "invalid" otherwise)."""
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value
