from django.urls import path

from articles import views
from articles.feeds import ArticleFeed

urlpatterns = [
    path("articles/", views.article_index, name="article-index"),
    path("articles/feed/", ArticleFeed(), name="article-feed"),
    path("articles/<slug:slug>/", views.article_detail, name="article-detail"),
    path("glossary/", views.glossary, name="glossary"),
    path("people/<slug:slug>/", views.person_detail, name="person-detail"),
    path("editorial-policy/", views.editorial_policy, name="editorial-policy"),
]
