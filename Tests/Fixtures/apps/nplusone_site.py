"""A Django view with an N+1 (one query per author) and its fixed version (one join), traced by the X-Ray
middleware with AUTO_INSTRUMENT, requested through Django's test client (no port to pick).

usage: nplusone_site.py n+1|fixed PATH...   Prints one line per request: PATH STATUS.
"""
import os
import sys

import django
from django.conf import settings

MODE = sys.argv[1]
settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    SECRET_KEY="xray-tests",
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["aws_xray_sdk.ext.django"],
    MIDDLEWARE=["aws_xray_sdk.ext.django.middleware.XRayMiddleware"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    XRAY_RECORDER={"AWS_XRAY_TRACING_NAME": "library", "AUTO_INSTRUMENT": True, "SAMPLING": False, "PLUGINS": ()},
)
django.setup()

from aws_xray_sdk.core import xray_recorder

# The tables are made before any request, outside a segment: that is expected, not worth a log line.
xray_recorder.configure(context_missing="IGNORE_ERROR")

from django.db import connection
from django.http import JsonResponse
from django.test import Client
from django.urls import path

AUTHORS = 6


def authors(request):
    with connection.cursor() as cursor:
        if MODE == "fixed":
            cursor.execute("select a.name, b.title from authors a left join books b on b.author_id = a.id order by a.id")
            rows = cursor.fetchall()
        else:
            cursor.execute("select id, name from authors order by id")
            rows = []
            for author_id, name in cursor.fetchall():
                # The N+1: one query per author, the id written into the text as ORMs often log it.
                cursor.execute(f"select title from books where author_id = {author_id}")
                rows += [(name, title) for (title,) in cursor.fetchall()]
    return JsonResponse({"rows": rows})


def book(request, book_id):
    with connection.cursor() as cursor:
        cursor.execute("select title from books where id = %s", [book_id])
        return JsonResponse({"title": cursor.fetchone()[0]})


urlpatterns = [path("authors/", authors), path("books/<int:book_id>/", book)]

with connection.cursor() as cursor:
    cursor.execute("create table authors (id integer primary key, name text)")
    cursor.execute("create table books (id integer primary key, author_id integer, title text)")
    cursor.executemany("insert into authors values (%s, %s)", [(i, f"author {i}") for i in range(1, AUTHORS + 1)])
    cursor.executemany("insert into books values (%s, %s, %s)", [(i, (i % AUTHORS) + 1, f"book {i}") for i in range(1, 13)])

client = Client()
for p in sys.argv[2:]:
    print(p, client.get(p).status_code, flush=True)
