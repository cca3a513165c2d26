from . import enterprise_urls, report_urls

app_name = "employers"
urlpatterns = [*enterprise_urls.urlpatterns, *report_urls.urlpatterns]
