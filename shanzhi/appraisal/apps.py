from django.apps import AppConfig


class AppraisalConfig(AppConfig):
    name = "shanzhi.appraisal"
    label = "appraisal"
    verbose_name = "道德评判"
