"""REST API v1: one router over the apps' viewsets, plus token and locate endpoints."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from shanzhi.accounts.api import TokenView
from shanzhi.appraisal.api import ComplaintViewSet as AppraisalComplaintViewSet
from shanzhi.appraisal.api import HonourViewSet
from shanzhi.cases.api import CaseViewSet
from shanzhi.councils.api import CouncilTopicViewSet, CouncilViewSet
from shanzhi.councils.api_meetings import CouncilDecisionViewSet, CouncilMeetingViewSet
from shanzhi.elections.api import (
    ElectionCandidateViewSet,
    ElectionResultViewSet,
    ElectionRoundViewSet,
    ElectionViewSet,
)
from shanzhi.legal.api import LegalAdviserViewSet, LegalQuestionViewSet
from shanzhi.mediation.api import DisputeViewSet
from shanzhi.org.api import DepartmentViewSet, LocateView, PostViewSet, UnitViewSet
from shanzhi.people.api import HouseholdViewSet, ResidentViewSet
from shanzhi.volunteers.api import ServiceRequestViewSet, VolunteerViewSet
from shanzhi.volunteers.api_bank import StoreItemViewSet, VolunteerActivityViewSet

router = DefaultRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("posts", PostViewSet, basename="post")
router.register("departments", DepartmentViewSet, basename="department")
router.register("households", HouseholdViewSet, basename="household")
router.register("residents", ResidentViewSet, basename="resident")
router.register("cases", CaseViewSet, basename="case")
router.register("disputes", DisputeViewSet, basename="dispute")
router.register("legal-questions", LegalQuestionViewSet, basename="legal-question")
router.register("legal-advisers", LegalAdviserViewSet, basename="legal-adviser")
router.register("councils", CouncilViewSet, basename="council")
router.register("council-topics", CouncilTopicViewSet, basename="council-topic")
router.register("council-meetings", CouncilMeetingViewSet, basename="council-meeting")
router.register("council-decisions", CouncilDecisionViewSet, basename="council-decision")
router.register("honour-roll", HonourViewSet, basename="honour")
router.register("appraisal-complaints", AppraisalComplaintViewSet, basename="appraisal-complaint")
router.register("volunteers", VolunteerViewSet, basename="volunteer")
router.register("service-requests", ServiceRequestViewSet, basename="service-request")
router.register("election-rounds", ElectionRoundViewSet, basename="election-round")
router.register("elections", ElectionViewSet, basename="election")
router.register("election-candidates", ElectionCandidateViewSet, basename="election-candidate")
router.register("election-results", ElectionResultViewSet, basename="election-result")
router.register("store-items", StoreItemViewSet, basename="store-item")
router.register("volunteer-activities", VolunteerActivityViewSet, basename="volunteer-activity")

app_name = "api"
urlpatterns: list = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("locate/", LocateView.as_view(), name="locate"),
    *router.urls,
]

