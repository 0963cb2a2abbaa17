from enum import StrEnum


class TargetStatus(StrEnum):
    COMPLETED = "completed"
    ERROR = "error"
    PROCESSING = "processing"

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> "TargetStatus | None":
        """A value the spec does not list (the service added one): kept, not rejected.

        It compares equal to its string and round-trips through ``to_dict``."""
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member
