"""The products the portal distributes, created by a data migration and by `ensure_products`."""

DEFAULT_PRODUCTS = [
    # code, name, masks per box
    ("surgical", "Masque chirurgical (type II/IIR)", 50),
    ("ffp2", "Masque FFP2", 20),
]


def ensure_products(product_model=None) -> None:
    """Create the default products if missing (idempotent; also after a test flush)."""
    if product_model is None:
        from pharmacies.models import Product as product_model
    for code, name, box_size in DEFAULT_PRODUCTS:
        product_model.objects.get_or_create(code=code, defaults={"name": name, "box_size": box_size})
