from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.urls import path


def users(request):
    with connection.cursor() as cursor:
        cursor.execute("select 1")
        rows = cursor.fetchall()
    return JsonResponse({"rows": rows})


def page(request):
    return HttpResponse(engines["django"].from_string("<p>{{ t }}</p>").render({"t": "hi"}))


def crash(request):
    raise RuntimeError("django boom")


urlpatterns = [path("users/", users), path("page/", page), path("crash/", crash)]
