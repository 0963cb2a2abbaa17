from enum import StrEnum


class GetTaskStatisticsName(StrEnum):
    DISTRIBUTION = "distribution"
    USAGE = "usage"

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> "GetTaskStatisticsName | None":
        """A value the spec does not list (the service added one): kept, not rejected.

        It compares equal to its string and round-trips through ``to_dict``."""
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member
