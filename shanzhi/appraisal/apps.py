from django.apps import AppConfig


class AppraisalConfig(AppConfig):
    name = "shanzhi.appraisal"
    label = "appraisal"
    verbose_name = "道德评判"

    def ready(self) -> None:
        from shanzhi.appraisal.receivers import topic_decided
        from shanzhi.councils.signals import topic_decided as decided

        decided.connect(topic_decided, dispatch_uid="appraisal.topic_decided")
