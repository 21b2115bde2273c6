"""How a provider's refusal is classified, shared by every channel so the retry policy in the
handlers need not know which provider failed."""


class TransientSendError(Exception):
    """Try again later: the provider is away, busy, or asked us to wait."""


class PermanentSendError(Exception):
    """Do not retry: the provider refused this message for good, or we cannot send at all."""
