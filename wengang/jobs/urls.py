from . import posting_urls, referral_urls, returnlist_urls, welfare_urls

app_name = "jobs"
urlpatterns = [*posting_urls.urlpatterns, *referral_urls.urlpatterns, *returnlist_urls.urlpatterns]
urlpatterns += welfare_urls.urlpatterns
