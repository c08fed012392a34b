"""百事服务团's pages: volunteers and service requests (urls_requests), activities, the time bank and the
store (urls_bank)."""
from shanzhi.volunteers import urls_bank, urls_requests

app_name = "volunteers"
urlpatterns = [*urls_requests.urlpatterns, *urls_bank.urlpatterns]
