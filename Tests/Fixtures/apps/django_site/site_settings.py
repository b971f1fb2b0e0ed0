import os

BASE = os.path.dirname(os.path.abspath(__file__))
DEBUG = False
ALLOWED_HOSTS = ["*"]
SECRET_KEY = "xray-tests"
ROOT_URLCONF = "site_urls"
INSTALLED_APPS = ["aws_xray_sdk.ext.django", "django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = ["aws_xray_sdk.ext.django.middleware.XRayMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("DJANGO_DB", ":memory:")}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": False}]
XRAY_RECORDER = {
    "AWS_XRAY_TRACING_NAME": "django-site",
    "AUTO_INSTRUMENT": True,
    "SAMPLING": False,
    "PLUGINS": (),
}
