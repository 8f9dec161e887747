from django.urls import reverse

from accounts.navigation import NAV_BY_ROLE, PUBLIC_NAV


def navigation(request):
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    entries = NAV_BY_ROLE.get(user.role, []) if authenticated else PUBLIC_NAV
    items = []
    for label, url_name, *condition in entries:
        if condition and not condition[0](user):
            continue
        items.append({"label": label, "url": reverse(url_name), "active": False})
    # One entry is current: the most specific one whose URL starts the path
    # (/professionnel/trouver-des-masques/ is "Trouver des masques", not "Mon espace").
    matching = [item for item in items if request.path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return {
        "nav_items": items,
        "portal_role": user.role if authenticated else None,
        "account_pending": authenticated and user.is_pending,
    }
