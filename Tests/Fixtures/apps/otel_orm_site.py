"""A one-file Django site whose /books/ view has an N+1 over the ORM (each book's author loaded on its own) or,
with `fixed`, the same page from one query with select_related; no tracing code, meant to run under
`opentelemetry-instrument`, whose Django instrumentation makes the request spans and sqlite3 instrumentation
the query spans (Django's sqlite backend connects through sqlite3.dbapi2.connect, which it wraps).

The Django instrumentation reads the settings when it starts, so this module is its own settings: run it with
DJANGO_SETTINGS_MODULE=otel_orm_site and its folder on PYTHONPATH.

usage: otel_orm_site.py n+1|fixed PATH...   Prints one line per request: PATH STATUS (Django's test client).
"""
import sys

DEBUG = False
SECRET_KEY = "test-only"
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "otel_orm_site"
MIDDLEWARE = []
INSTALLED_APPS = ["otel_orm_site"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
urlpatterns = []

if __name__ == "__main__":
    import django

    django.setup()

    from django.db import connection, models
    from django.http import JsonResponse
    from django.test import Client
    from django.urls import path
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    class Author(models.Model):
        name = models.CharField(max_length=50)

        class Meta:
            app_label = "otel_orm_site"

    class Book(models.Model):
        title = models.CharField(max_length=50)
        author = models.ForeignKey(Author, on_delete=models.CASCADE)

        class Meta:
            app_label = "otel_orm_site"

    def books(request):
        query = Book.objects.order_by("id")
        if sys.argv[1] == "fixed":
            query = query.select_related("author")
        # The N+1: without select_related, book.author is one more query per book.
        return JsonResponse({"books": [f"{book.title} by {book.author.name}" for book in query]})

    def book(request, book_id):
        b = Book.objects.select_related("author").get(id=book_id)
        return JsonResponse({"title": b.title, "author": b.author.name})

    sys.modules["otel_orm_site"].urlpatterns[:] = [path("books/", books), path("books/<int:book_id>/", book)]

    # The schema and rows are made before any request; their queries are no part of what is measured.
    with suppress_instrumentation():
        with connection.schema_editor() as editor:
            editor.create_model(Author)
            editor.create_model(Book)
        writers = Author.objects.bulk_create(Author(name=f"author {i}") for i in range(1, 7))
        Book.objects.bulk_create(Book(title=f"book {i}", author=writers[i % 6]) for i in range(1, 7))

    client = Client()
    for p in sys.argv[2:]:
        print(p, client.get(p).status_code, flush=True)
