from enum import StrEnum


class GetTaskStatisticsName(StrEnum):
    DISTRIBUTION = "distribution"
    USAGE = "usage"

    def __str__(self) -> str:
        return str(self.value)
