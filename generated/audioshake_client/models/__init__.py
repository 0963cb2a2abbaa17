"""Contains all the data models used in inputs/outputs"""

from .asset import Asset
from .create_task_request import CreateTaskRequest
from .distribution_statistic import DistributionStatistic
from .error import Error
from .get_task_statistics_name import GetTaskStatisticsName
from .model import Model
from .model_input import ModelInput
from .model_input_formats import ModelInputFormats
from .model_limits import ModelLimits
from .model_list import ModelList
from .model_variant import ModelVariant
from .output_format import OutputFormat
from .output_item import OutputItem
from .target import Target
from .target_error import TargetError
from .target_request import TargetRequest
from .target_status import TargetStatus
from .task import Task
from .upload_asset_body import UploadAssetBody
from .usage_statistic import UsageStatistic
from .webhook_registration import WebhookRegistration
from .webhook_registration_request import WebhookRegistrationRequest

__all__ = (
    "Asset",
    "CreateTaskRequest",
    "DistributionStatistic",
    "Error",
    "GetTaskStatisticsName",
    "Model",
    "ModelInput",
    "ModelInputFormats",
    "ModelLimits",
    "ModelList",
    "ModelVariant",
    "OutputFormat",
    "OutputItem",
    "Target",
    "TargetError",
    "TargetRequest",
    "TargetStatus",
    "Task",
    "UploadAssetBody",
    "UsageStatistic",
    "WebhookRegistration",
    "WebhookRegistrationRequest",
)
