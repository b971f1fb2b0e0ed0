"""A one-file Django site with no tracing code, meant to run under `opentelemetry-instrument` (the Django
instrumentation needs DJANGO_SETTINGS_MODULE, so this module is its own settings: run it with
DJANGO_SETTINGS_MODULE=otel_django_site and its folder on PYTHONPATH).

usage: otel_django_site.py PORT   (drive it with drive.py; SIGTERM is turned into a clean exit, so the SDK's
shutdown exports)
"""
import signal
import sys

from django.http import HttpResponse, JsonResponse
from django.urls import path

DEBUG = False
SECRET_KEY = "test-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
MIDDLEWARE = []
INSTALLED_APPS = []
DATABASES = {}


def orders(request, name):
    return JsonResponse({"orders": [name]})


def broken(request):
    return HttpResponse("down", status=503)


urlpatterns = [path("orders/<str:name>/", orders), path("broken/", broken)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    execute_from_command_line([sys.argv[0], "runserver", f"127.0.0.1:{sys.argv[1]}", "--noreload"])
