"""eid: electronic identity for e-government (Belgian eID and any PKCS#11 token)."""

from eid.errors import EidError

__all__ = ["EidError", "__version__"]

__version__ = "0.1.0"
