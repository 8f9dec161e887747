from notifications.selectors import unread_count


def unread_notifications(request):
    """`unread_notifications`: the signed-in user's unread in-portal notifications (header badge)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"unread_notifications": 0}
    return {"unread_notifications": unread_count(user)}
