"""A one-file Django site instrumented with the AWS X-Ray SDK for Python, as its docs show.

Run it under `xray run -- python examples/django_app.py`: it serves three requests through Django's test
client (which goes through the middleware like a real request) and every segment goes to the run. The
settings below are the README's Django recipe; this file is its own settings module.
"""
import os
import sys

from django.db import connection
from django.http import Http404, JsonResponse
from django.urls import path

# settings.py
INSTALLED_APPS = ["aws_xray_sdk.ext.django"]
MIDDLEWARE = ["aws_xray_sdk.ext.django.middleware.XRayMiddleware"]  # first in the list
XRAY_RECORDER = {
    "AWS_XRAY_TRACING_NAME": "my-site",  # the service name
    "AUTO_INSTRUMENT": True,  # ORM queries and template rendering become subsegments
    "SAMPLING": False,  # locally you want every request
}

ROOT_URLCONF = __name__
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SECRET_KEY = "example only"


def orders(request, user):
    with connection.cursor() as cursor:
        cursor.execute("select 1")
        cursor.fetchall()
    return JsonResponse({"user": user, "orders": [1]})


def order(request, number):
    raise Http404(f"no order {number}")  # the SDK records it as fault and error: see man xray-run


urlpatterns = [path("orders/<str:user>/", orders), path("order/<int:number>/", order)]

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "__main__")
    import django
    from django.test import Client

    django.setup()
    if sys.argv[1:]:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    else:
        client = Client()
        for p in ["/orders/ada/", "/orders/grace/", "/order/7/"]:
            print(p, client.get(p).status_code)
