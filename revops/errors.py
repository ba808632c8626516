class ApplicationError(Exception):
    """A business rule said no. The message is meant for the user who asked."""

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
