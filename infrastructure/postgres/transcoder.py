"""How stored event state is decoded: the same JSON eventsourcing writes, read with msgspec.

Every follower, rebuild and aggregate load decodes stored events, and with the standard
library's JSON decoder (an object hook called on every object) that was half the cost of reading
the log. This transcoder reads exactly the bytes `JSONTranscoder` has always written — objects
tagged `{"_type_": name, "_data_": value}` for UUIDs, decimals and datetimes — by decoding the
document with msgspec and then reviving the tagged objects in one walk. Nothing stored changes:
encoding is still the standard library's, byte for byte, so events written before and after
this transcoder are the same bytes (tests/unit/test_transcoder.py proves both directions).

The few documents msgspec refuses and the standard library accepts (`NaN`, `Infinity`, numbers
beyond a float's range, which Python's encoder writes) are decoded by the standard library, so
whatever was ever stored stays readable.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

# The two keys of a tagged object (eventsourcing's JSONTranscoder._encode_obj).
TYPE_KEY: Final = "_type_"
DATA_KEY: Final = "_data_"
# How a tagged object's first key reads in the stored bytes: the encoder writes keys literally
# (ensure_ascii=False, and `_` is never escaped), and inside a JSON string the quotes would be
# escaped, so counting this counts every tagged object (and any object keyed `_type_`).
TAG_MARK: Final = b'"_type_"'

_decode: Final = msgspec.json.decode


class LogTranscoder(JSONTranscoder):
    def decode(self, data: bytes) -> Any:
        try:
            document = _decode(data)
        except msgspec.DecodeError:
            return super().decode(data)  # what only the standard library reads (NaN, 1e400)
        tags = bytes(data).count(TAG_MARK)
        return self._revive(document, [tags]) if tags else document

    def _revive(self, value: Any, left: list[int]) -> Any:
        """`value` with every tagged object replaced by what it encodes, innermost first, as
        the standard library's object hook would; containers are changed in place. `left`
        counts the tagged objects not yet met: once it is 0 the rest holds none, so an event
        whose one tag is its timestamp is walked no further than that."""
        if type(value) is dict:
            for key, item in value.items():
                if not left[0]:
                    break
                if type(item) is dict and _is_plain_tag(item):
                    left[0] -= 1  # the common case (a timestamp, an id): no call deeper
                    value[key] = self._tagged(item)
                elif type(item) is dict or type(item) is list:
                    value[key] = self._revive(item, left)
            if len(value) == 2 and TYPE_KEY in value and DATA_KEY in value:
                left[0] -= 1
                return self._tagged(value)
        elif type(value) is list:
            for index, item in enumerate(value):
                if not left[0]:
                    break
                if type(item) is dict or type(item) is list:
                    value[index] = self._revive(item, left)
        return value

    def _tagged(self, value: dict[str, Any]) -> Any:
        name = value[TYPE_KEY]
        try:
            transcoding = self.names[name]
        except (KeyError, TypeError) as error:
            raise TranscodingNotRegisteredError(
                f"Data serialized with name {name!r} is not deserializable. Please register a"
                " custom transcoding for this type."
            ) from error
        return transcoding.decode(value[DATA_KEY])


def _is_plain_tag(value: dict[str, Any]) -> bool:
    """A tagged object whose data holds no object or list to revive first."""
    if len(value) != 2 or TYPE_KEY not in value or DATA_KEY not in value:
        return False
    data = value[DATA_KEY]
    return type(data) is not dict and type(data) is not list
