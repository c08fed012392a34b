from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "shanzhi.mediation"
    label = "mediation"
    verbose_name = "矛盾纠纷调处"

    def ready(self) -> None:
        from shanzhi.cases.signals import case_event
        from shanzhi.mediation.receivers import dispute_case_arrives

        case_event.connect(dispute_case_arrives, dispatch_uid="mediation.dispute_case_arrives")
        from shanzhi.mediation import dashboard

        dashboard.register_indicators()
