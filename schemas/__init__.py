"""Event contracts of halsosupport: topic names, envelope and one module per topic.

Services share these models and nothing else at run time.
"""

from schemas.codec import decode, encode
from schemas.envelope import Channel, EmployeeEvent, Event, OrgRef, Source

__all__ = ["Channel", "EmployeeEvent", "Event", "OrgRef", "Source", "decode", "encode"]
