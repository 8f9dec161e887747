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
        url = reverse(url_name)
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {
        "nav_items": items,
        "portal_role": user.role if authenticated else None,
        "account_pending": authenticated and user.is_pending,
    }
