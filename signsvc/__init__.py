"""signsvc: digital signature and secure document service (PAdES) for e-government."""

__version__ = "0.1.0"
