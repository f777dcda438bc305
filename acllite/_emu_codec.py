"""The emulator's image codecs on Pillow (registered by :mod:`acllite._emu_services`)."""


def register() -> None:
    """Hand the codec callbacks to the emulator."""
