from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "shanzhi.councils"
    label = "councils"
    verbose_name = "议事协商"

    def ready(self) -> None:
        from shanzhi.cases.signals import case_event
        from shanzhi.councils.receivers_meetings import decision_case_event

        case_event.connect(decision_case_event, dispatch_uid="councils.decision_case_event")
