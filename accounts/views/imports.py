from django.http import HttpResponse


def import_list(request):
    return HttpResponse("imports")


def import_detail(request, pk):
    return HttpResponse("import")


def import_progress(request, pk):
    return HttpResponse("progress")
