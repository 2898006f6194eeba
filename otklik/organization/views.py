"""The public registry of official accounts (П.5): the links the official website publishes.

Public by design — the regulation requires publishing them — and read-only: an HTML page to embed
or link, and CSV / JSON for the site's own import.
"""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from .models import Administration
from .selectors import official_accounts


def accounts_page(request: HttpRequest, slug: str) -> HttpResponse:
    adm = get_object_or_404(Administration, slug=slug, is_active=True)
    rows = official_accounts(adm)
    fmt = request.GET.get("format", "html")
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="official-accounts-{adm.slug}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
        writer = csv.writer(response, delimiter=";")
        writer.writerow(["Подразделение", "Сеть", "Название", "Ссылка"])
        for r in rows:
            writer.writerow([r.department, r.network_title, r.name, r.url])
        return response
    if fmt == "json":
        return JsonResponse(
            {
                "administration": adm.name,
                "accounts": [
                    {"department": r.department, "network": r.network, "name": r.name, "url": r.url} for r in rows
                ],
            },
            json_dumps_params={"ensure_ascii": False},
        )
    departments: dict[str, list[object]] = {}
    for r in rows:
        departments.setdefault(r.department, []).append(r)
    return render(request, "organization/accounts.html", {"adm": adm, "departments": departments})
