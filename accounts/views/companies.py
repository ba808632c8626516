from django.http import HttpResponse


def company_list(request):
    return HttpResponse("accounts")


def company_detail(request, pk):
    return HttpResponse("account")
