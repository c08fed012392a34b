"""The elections' pages: set-up and the roll (urls_setup), candidates, stations and proxies
(urls_candidates), election day and the count (urls_day), the county's overview (urls_overview)."""
from shanzhi.elections import urls_candidates, urls_day, urls_overview, urls_setup

app_name = "elections"
urlpatterns = [*urls_setup.urlpatterns, *urls_candidates.urlpatterns, *urls_day.urlpatterns,
               *urls_overview.urlpatterns]
