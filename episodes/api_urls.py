"""The publishing API for the production pipeline (filled in by the API work)."""

app_name = "api"

urlpatterns = []
