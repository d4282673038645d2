from django.urls import path

from articles import feedback, views
from articles.feeds import ArticleFeed
from core.i18n import switch_keeps_query

urlpatterns = [
    path("articles/", switch_keeps_query(views.article_index), name="article-index"),
    path("articles/feed/", ArticleFeed(), name="article-feed"),
    path("articles/<slug:slug>/", views.article_detail, name="article-detail"),
    path(
        "articles/<slug:slug>/report/",
        feedback.ArticleReportView.as_view(),
        name="article-report",
    ),
    path(
        "articles/<slug:slug>/report/sent/",
        feedback.ArticleReportSentView.as_view(),
        name="article-report-sent",
    ),
    path("glossary/", views.glossary, name="glossary"),
    path("people/<slug:slug>/", views.person_detail, name="person-detail"),
    path("editorial-policy/", views.editorial_policy, name="editorial-policy"),
]
